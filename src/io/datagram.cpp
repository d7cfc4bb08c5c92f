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

DatagramEndpoint& DatagramEndpoint::operator=(DatagramEndpoint&& other) noexcept {
    if (this != &other) {
        close();
        m_state = std::move(other.m_state);
    }
    return *this;
}

DatagramEndpoint::~DatagramEndpoint() { close(); }

void DatagramEndpoint::close() noexcept {
    if (m_state) m_state->close();
}

Address DatagramEndpoint::sockname() const { return detail::local_address(m_state->io.fd()); }

Task<> DatagramEndpoint::send_to(std::string data, Address destination) {
    auto state = m_state;
    for (;;) {
        if (state->io.fd() < 0) throw InvalidStateError("send_to() on a closed DatagramEndpoint");
        const detail::IoResult sent = detail::send_to(state->io.fd(), data.data(), data.size(), destination);
        if (sent.error == 0) co_return;
        if (!sent.would_block()) detail::throw_error(sent.error, "sendto");
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
    // Received into a scratch buffer, then copied at its real size: no 64 KiB string per call.
    thread_local std::string scratch;
    for (;;) {
        if (state->io.fd() < 0) throw InvalidStateError("recv_from() on a closed DatagramEndpoint");
        if (scratch.size() < max_size) scratch.resize(max_size);
        Address sender;
        const detail::IoResult received = detail::receive_from(state->io.fd(), scratch.data(), max_size, &sender);
        if (received.error == 0) {
            co_return std::pair{std::string(scratch.data(), static_cast<std::size_t>(received.value)), sender};
        }
        if (!received.would_block()) detail::throw_error(received.error, "recvfrom");
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
    std::shared_ptr<DatagramEndpoint::State> state;
    try {
        state = std::make_shared<DatagramEndpoint::State>(static_cast<int>(opened.value));
    } catch (...) {
        detail::close_socket(static_cast<int>(opened.value));
        throw;
    }
    if (const detail::IoResult bound = detail::bind(state->io.fd(), local); bound.error != 0) {
        detail::throw_error(bound.error, "bind");
    }
    co_return DatagramEndpoint(std::move(state));
}

}  // namespace asyncio
