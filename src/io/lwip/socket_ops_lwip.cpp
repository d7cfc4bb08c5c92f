// The io layer's "system calls" (io/detail/socket_ops.hpp) over the lwIP socket table: what
// Stream, Server and open_connection() call on Linux, with the same errno values, so that their
// code is the same on a board. TCP over IPv4 only; UDP and name lookup are not offered here.
#include "socket_table.hpp"

#include <asyncio/io/detail/socket_ops.hpp>

#include <lwip/ip4_addr.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <fcntl.h>
#include <system_error>

namespace asyncio::detail {

namespace {

IoResult failure(int error) noexcept { return {-1, error}; }
IoResult success(ssize_t value = 0) noexcept { return {value, 0}; }

Address make_address(lwip::Endpoint endpoint) noexcept {
    if (!endpoint.known) return {};
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(endpoint.port);
    v4.sin_addr.s_addr = endpoint.address;
    return Address(reinterpret_cast<const sockaddr*>(&v4), sizeof v4);
}

/// The IPv4 address and port of `address`; false for any other family.
bool ipv4_of(const Address& address, std::uint32_t& ip, std::uint16_t& port) noexcept {
    if (address.family() != AF_INET) return false;
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address.data());
    ip = v4->sin_addr.s_addr;
    port = ntohs(v4->sin_port);
    return true;
}

}  // namespace

void throw_error(int error, const char* call) { throw std::system_error(error, std::system_category(), call); }

bool IoResult::would_block() const noexcept { return error == EAGAIN || error == EWOULDBLOCK; }

IoResult open_socket(int family, int type) noexcept {
    if (family != AF_INET) return failure(EAFNOSUPPORT);
    if (type != SOCK_STREAM) return failure(EPROTONOSUPPORT);
    const int fd = lwip::allocate();
    return fd < 0 ? failure(EMFILE) : success(fd);
}

void close_socket(int fd) noexcept { lwip::release(fd); }

IoResult receive(int fd, char* buffer, std::size_t size) noexcept {
    lwip::Socket* socket = lwip::find(fd);
    if (socket == nullptr) return failure(EBADF);
    if (const std::size_t copied = lwip::read_received(*socket, buffer, size); copied > 0) return success(copied);
    if (socket->error != 0) return failure(socket->error);
    if (socket->peer_closed || socket->kind != lwip::Socket::Kind::connection) return success(0);
    return failure(EAGAIN);
}

IoResult send(int fd, const char* data, std::size_t size) noexcept {
    lwip::Socket* socket = lwip::find(fd);
    if (socket == nullptr) return failure(EBADF);
    std::size_t sent = 0;
    const int error = lwip::send_some(*socket, data, size, sent);
    return error != 0 ? failure(error) : success(static_cast<ssize_t>(sent));
}

IoResult shutdown_write(int fd) noexcept {
    lwip::Socket* socket = lwip::find(fd);
    if (socket == nullptr) return failure(EBADF);
    const int error = lwip::shut_down_sending(*socket);
    return error != 0 ? failure(error) : success();
}

IoResult accept(int listener, Address* peer) noexcept {
    lwip::Socket* socket = lwip::find(listener);
    if (socket == nullptr) return failure(EBADF);
    if (socket->kind != lwip::Socket::Kind::listener) return failure(EINVAL);
    const int fd = lwip::take_pending(*socket);
    if (fd < 0) return failure(EAGAIN);
    if (peer != nullptr) *peer = make_address(lwip::peer_endpoint(*lwip::find(fd)));
    return success(fd);
}

IoResult bind_and_listen(int fd, const Address& address, int backlog) noexcept {
    lwip::Socket* socket = lwip::find(fd);
    if (socket == nullptr) return failure(EBADF);
    std::uint32_t ip = 0;
    std::uint16_t port = 0;
    if (!ipv4_of(address, ip, port)) return failure(EAFNOSUPPORT);
    const int error = lwip::listen_on(*socket, ip, port, backlog);
    return error != 0 ? failure(error) : success();
}

// lwIP's raw API binds one pcb per address and port: there is no port sharing to ask for.
IoResult set_reuse_port(int fd) noexcept { return failure(lwip::find(fd) == nullptr ? EBADF : ENOPROTOOPT); }

IoResult start_connect(int fd, const Address& address) noexcept {
    lwip::Socket* socket = lwip::find(fd);
    if (socket == nullptr) return failure(EBADF);
    std::uint32_t ip = 0;
    std::uint16_t port = 0;
    if (!ipv4_of(address, ip, port)) return failure(EAFNOSUPPORT);
    return failure(lwip::connect_to(*socket, ip, port));
}

int connect_result(int fd) noexcept {
    const lwip::Socket* socket = lwip::find(fd);
    if (socket == nullptr) return EBADF;
    if (socket->connecting) return EINPROGRESS;
    return socket->error;
}

Address local_address(int fd) noexcept {
    const lwip::Socket* socket = lwip::find(fd);
    return socket == nullptr ? Address() : make_address(lwip::local_endpoint(*socket));
}

Address peer_address(int fd) noexcept {
    const lwip::Socket* socket = lwip::find(fd);
    return socket == nullptr ? Address() : make_address(lwip::peer_endpoint(*socket));
}

IoResult set_option(int fd, int level, int name, int value) noexcept {
    lwip::Socket* socket = lwip::find(fd);
    if (socket == nullptr) return failure(EBADF);
    if (level == IPPROTO_TCP && name == TCP_NODELAY) return success(lwip::set_no_delay(*socket, value != 0));
    if (level == SOL_SOCKET && name == SO_KEEPALIVE) return success(lwip::set_keepalive(*socket, value != 0));
    if (level == SOL_SOCKET && name == SO_SNDBUF) {
        if (value <= 0) return failure(EINVAL);
        return success(lwip::set_send_buffer_cap(*socket, static_cast<std::size_t>(value)));
    }
    if (level == SOL_SOCKET && name == SO_REUSEADDR) return success();  // listeners always reuse
    return failure(ENOPROTOOPT);
}

std::vector<Address> resolve_numeric(const std::string& host, std::uint16_t port) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    if (!host.empty() && inet_pton(AF_INET, host.c_str(), &v4.sin_addr) != 1) return {};
    return {Address(reinterpret_cast<const sockaddr*>(&v4), sizeof v4)};  // "" means every interface
}

std::vector<Address> resolve(const std::string& host, std::uint16_t port, int /*type*/, bool /*passive*/,
                             std::string& error) {
    std::vector<Address> found = resolve_numeric(host, port);
    if (found.empty()) error = "'" + host + "' is not a numeric IPv4 address (this board has no name lookup)";
    return found;
}

}  // namespace asyncio::detail

#if ASYNCIO_LWIP_POSIX_VOCABULARY  // a bare-metal build: no C library has these

extern "C" int inet_pton(int family, const char* text, void* address) {
    if (family != AF_INET) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    ip4_addr_t parsed;
    if (ip4addr_aton(text, &parsed) == 0) return 0;
    std::memcpy(address, &parsed.addr, sizeof parsed.addr);
    return 1;
}

extern "C" const char* inet_ntop(int family, const void* address, char* text, socklen_t size) {
    if (family != AF_INET) {
        errno = EAFNOSUPPORT;
        return nullptr;
    }
    ip4_addr_t ip;
    std::memcpy(&ip.addr, address, sizeof ip.addr);
    if (ip4addr_ntoa_r(&ip, text, static_cast<int>(size)) == nullptr) {
        errno = ENOSPC;
        return nullptr;
    }
    return text;
}

/// Stream(int fd) asks whether a descriptor is non-blocking: every socket of the table is.
extern "C" int fcntl(int fd, int command, ...) {
    if (asyncio::detail::lwip::find(fd) == nullptr) {
        errno = EBADF;
        return -1;
    }
    return command == F_GETFL ? O_RDWR | O_NONBLOCK : 0;
}

#endif  // ASYNCIO_LWIP_POSIX_VOCABULARY
