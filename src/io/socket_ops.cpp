#include <asyncio/io/detail/socket_ops.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

#include "has_ipv6.hpp"

namespace asyncio::detail {

namespace {
IoResult result_of(ssize_t value) noexcept { return value < 0 ? IoResult{-1, errno} : IoResult{value, 0}; }
}  // namespace

void throw_error(int error, const char* call) { throw std::system_error(error, std::system_category(), call); }

bool IoResult::would_block() const noexcept { return error == EAGAIN || error == EWOULDBLOCK; }

#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC) && !defined(ASYNCIO_PORTABLE_SOCKETS)
IoResult open_socket(int family, int type) noexcept {
    return result_of(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}
#else
// lwIP (ESP-IDF) has neither SOCK_NONBLOCK nor accept4(): the flags are set after the call. The
// poll() build takes this path on Linux too, so what the ESP32 runs is what `make test-poll` tests.
namespace {
IoResult made_non_blocking(int fd) noexcept {
    if (fd < 0) return {-1, errno};
    const int flags = ::fcntl(fd, F_GETFL, 0);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        const int error = errno;
        ::close(fd);
        return {-1, error};
    }
    (void)::fcntl(fd, F_SETFD, FD_CLOEXEC);  // where there is exec(); lwIP refuses, harmlessly
    return {fd, 0};
}
}  // namespace

IoResult open_socket(int family, int type) noexcept { return made_non_blocking(::socket(family, type, 0)); }
#endif

void close_socket(int fd) noexcept {
    if (fd >= 0) ::close(fd);
}

IoResult receive(int fd, char* buffer, std::size_t size) noexcept {
    ssize_t n;
    do n = ::recv(fd, buffer, size, 0);
    while (n < 0 && errno == EINTR);
    return result_of(n);
}

IoResult send(int fd, const char* data, std::size_t size) noexcept {
    ssize_t n;
    do n = ::send(fd, data, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return result_of(n);
}

IoResult shutdown_write(int fd) noexcept { return result_of(::shutdown(fd, SHUT_WR)); }

IoResult send_to(int fd, const char* data, std::size_t size, const Address& destination) noexcept {
    ssize_t n;
    do n = ::sendto(fd, data, size, MSG_NOSIGNAL, destination.data(), destination.size());
    while (n < 0 && errno == EINTR);
    return result_of(n);
}

IoResult receive_from(int fd, char* buffer, std::size_t size, Address* sender) noexcept {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    ssize_t n;
    do n = ::recvfrom(fd, buffer, size, 0, reinterpret_cast<sockaddr*>(&storage), &length);
    while (n < 0 && errno == EINTR);
    if (n >= 0 && sender != nullptr) *sender = Address(reinterpret_cast<sockaddr*>(&storage), length);
    return result_of(n);
}

IoResult bind(int fd, const Address& address) noexcept { return result_of(::bind(fd, address.data(), address.size())); }

IoResult accept(int listener, Address* peer) noexcept {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC) && !defined(ASYNCIO_PORTABLE_SOCKETS)
    const IoResult accepted = result_of(
        ::accept4(listener, reinterpret_cast<sockaddr*>(&storage), &length, SOCK_NONBLOCK | SOCK_CLOEXEC));
#else
    const IoResult accepted = made_non_blocking(::accept(listener, reinterpret_cast<sockaddr*>(&storage), &length));
#endif
    if (accepted.error == 0 && peer != nullptr) *peer = Address(reinterpret_cast<sockaddr*>(&storage), length);
    return accepted;
}

IoResult bind_and_listen(int fd, const Address& address, int backlog) noexcept {
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#if ASYNCIO_HAS_IPV6
    // An IPv6 listener takes IPv6 only, so "::" and "0.0.0.0" can both be bound on one port.
    if (address.family() == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
#endif
    if (::bind(fd, address.data(), address.size()) < 0) return {-1, errno};
    return result_of(::listen(fd, backlog));
}

IoResult set_reuse_port(int fd) noexcept {
#ifdef SO_REUSEPORT
    // lwIP's socket headers (ESP-IDF) name the option without implementing it: setsockopt()
    // fails there with ENOPROTOOPT, which the caller reports.
    const int one = 1;
    return result_of(::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one));
#else
    (void)fd;
    return {-1, ENOPROTOOPT};
#endif
}

IoResult start_connect(int fd, const Address& address) noexcept {
    return result_of(::connect(fd, address.data(), address.size()));
}

int connect_result(int fd) noexcept {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) return errno;
    return error;
}

Address local_address(int fd) noexcept {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) < 0) return {};
    return Address(reinterpret_cast<sockaddr*>(&storage), length);
}

Address peer_address(int fd) noexcept {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) < 0) return {};
    return Address(reinterpret_cast<sockaddr*>(&storage), length);
}

IoResult set_option(int fd, int level, int name, int value) noexcept {
    return result_of(::setsockopt(fd, level, name, &value, sizeof value));
}

namespace {
/// getaddrinfo()'s error in words. Not gai_strerror(): lwIP (ESP-IDF) has none. The same table
/// on every system, each code where the system has it; any other is "name lookup failed (EAI n)".
std::string name_lookup_error(int status) {
    struct Known {
        int code;
        const char* text;
    };
    static constexpr Known known[] = {
#ifdef EAI_AGAIN
        {EAI_AGAIN, "temporary failure in name resolution"},
#endif
#ifdef EAI_BADFLAGS
        {EAI_BADFLAGS, "invalid flags"},
#endif
#ifdef EAI_FAIL
        {EAI_FAIL, "name lookup failed"},
#endif
#ifdef EAI_FAMILY
        {EAI_FAMILY, "address family not supported"},
#endif
#ifdef EAI_MEMORY
        {EAI_MEMORY, "out of memory"},
#endif
#ifdef EAI_NODATA
        {EAI_NODATA, "no address for this name"},
#endif
#ifdef EAI_NONAME
        {EAI_NONAME, "name or service not known"},
#endif
#ifdef EAI_SERVICE
        {EAI_SERVICE, "service not supported for this socket type"},
#endif
#ifdef EAI_SOCKTYPE
        {EAI_SOCKTYPE, "socket type not supported"},
#endif
#ifdef EAI_OVERFLOW
        {EAI_OVERFLOW, "buffer overflow"},
#endif
    };
    for (const Known& entry : known) {
        if (entry.code == status) return entry.text;
    }
    return "name lookup failed (EAI " + std::to_string(status) + ")";
}
}  // namespace

std::vector<Address> resolve(const std::string& host, std::uint16_t port, int type, bool passive, std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = type;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    const int status = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
    std::vector<Address> addresses;
    if (status != 0) {
        error = "getaddrinfo(" + host + "): " + name_lookup_error(status);
        return addresses;
    }
    for (addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
        addresses.emplace_back(entry->ai_addr, entry->ai_addrlen);
    }
    ::freeaddrinfo(found);
    return addresses;
}

std::vector<Address> resolve_numeric(const std::string& host, std::uint16_t port) {
    sockaddr_in v4{};
    if (::inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        return {Address(reinterpret_cast<sockaddr*>(&v4), sizeof v4)};
    }
#if ASYNCIO_HAS_IPV6
    sockaddr_in6 v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        return {Address(reinterpret_cast<sockaddr*>(&v6), sizeof v6)};
    }
#else
    // No host name has a ':'; an IPv6 address always has. Said now, not left to a name lookup.
    if (host.find(':') != std::string::npos) {
        throw std::system_error(EAFNOSUPPORT, std::system_category(),
                                "IPv6 address '" + host + "': this build has no IPv6 (lwIP without LWIP_IPV6)");
    }
#endif
    return {};
}

}  // namespace asyncio::detail
