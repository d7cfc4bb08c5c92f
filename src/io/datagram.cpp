#include <asyncio/io/datagram.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/io/detail/socket_ops.hpp>
#include <asyncio/io/poller.hpp>

#include <sys/socket.h>

namespace asyncio {

struct DatagramEndpoint::State {
    explicit State(int fd) : io(fd) {}
    ~State() { close(); }
    void close() noexcept {
        const int fd = io.fd();
        if (fd < 0) return;
        io.release_descriptor();
        detail::close_socket(fd);
    }
    detail::IoHandle io;
};

DatagramEndpoint::~DatagramEndpoint() { close(); }

void DatagramEndpoint::close() noexcept {
    if (m_state) m_state->close();
}

Address DatagramEndpoint::sockname() const { return detail::local_address(m_state->io.fd()); }

Task<> DatagramEndpoint::send_to(std::string data, Address destination) {
    auto state = m_state;
    for (;;) {
        if (state->io.fd() < 0) throw InvalidStateError("send_to() on a closed DatagramEndpoint");
        const ssize_t sent = ::sendto(state->io.fd(), data.data(), data.size(), MSG_NOSIGNAL, destination.data(),
                                      destination.size());
        if (sent >= 0) co_return;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) detail::throw_error(errno, "sendto");
        state->io.not_writable();
        co_await state->io.wait_writable();
    }
}

Task<> DatagramEndpoint::send_to(std::string data, const std::string& host, std::uint16_t port) {
    auto addresses = detail::resolve_numeric(host, port);
    if (addresses.empty()) throw std::invalid_argument("send_to(): '" + host + "' is not a numeric address");
    co_await send_to(std::move(data), addresses.front());
}

Task<std::pair<std::string, Address>> DatagramEndpoint::recv_from(std::size_t max_size) {
    auto state = m_state;
    std::string buffer(max_size, '\0');
    for (;;) {
        if (state->io.fd() < 0) throw InvalidStateError("recv_from() on a closed DatagramEndpoint");
        sockaddr_storage sender{};
        socklen_t length = sizeof sender;
        const ssize_t received = ::recvfrom(state->io.fd(), buffer.data(), buffer.size(), 0,
                                            reinterpret_cast<sockaddr*>(&sender), &length);
        if (received >= 0) {
            buffer.resize(static_cast<std::size_t>(received));
            co_return std::pair{std::move(buffer), Address(reinterpret_cast<sockaddr*>(&sender), length)};
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) detail::throw_error(errno, "recvfrom");
        state->io.not_readable();
        co_await state->io.wait_readable();
    }
}

Task<DatagramEndpoint> open_datagram(std::string local_host, std::uint16_t local_port) {
    auto addresses = detail::resolve_numeric(local_host.empty() ? "0.0.0.0" : local_host, local_port);
    if (addresses.empty()) throw std::invalid_argument("open_datagram(): '" + local_host + "' is not a numeric address");
    const Address& local = addresses.front();
    const detail::IoResult opened = detail::open_socket(local.family(), SOCK_DGRAM);
    if (opened.error != 0) detail::throw_error(opened.error, "socket");
    auto state = std::make_shared<DatagramEndpoint::State>(static_cast<int>(opened.value));
    if (::bind(state->io.fd(), local.data(), local.size()) < 0) detail::throw_error(errno, "bind");
    co_return DatagramEndpoint(std::move(state));
}

}  // namespace asyncio
