#pragma once

#include <cstdint>
#include <string>

#include <sys/socket.h>

namespace asyncio {

/// A socket address (IPv4 or IPv6) with the host and port a user wants to see: what
/// Stream::peername(), Server::sockets() and DatagramEndpoint::recv_from() give. A plain value
/// (a copy of the sockaddr), cheap to copy.
class Address {
public:
    /// The empty address (empty() is true, family() AF_UNSPEC): what peername() gives when the
    /// socket has none.
    Address() = default;
    /// Copies `length` bytes of `address` (a sockaddr_in or sockaddr_in6, as accept() or
    /// getpeername() filled it); more than a sockaddr_storage holds is cut to its size.
    Address(const sockaddr* address, socklen_t length) noexcept;

    /// "127.0.0.1" or "::1"; empty for an empty address or a family other than IPv4/IPv6.
    [[nodiscard]] std::string host() const;
    /// In host byte order; 0 for an empty address or a family other than IPv4/IPv6.
    [[nodiscard]] std::uint16_t port() const noexcept;
    /// "127.0.0.1:8080" or "[::1]:8080"; empty for an empty address.
    [[nodiscard]] std::string to_string() const;
    /// AF_INET or AF_INET6 (AF_UNSPEC when empty).
    [[nodiscard]] int family() const noexcept { return m_storage.ss_family; }
    /// The sockaddr itself, for system calls (bind(), connect(), sendto()); valid while this
    /// Address lives.
    [[nodiscard]] const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&m_storage); }
    /// The length of data() in bytes: the `socklen_t` argument of those calls.
    [[nodiscard]] socklen_t size() const noexcept { return m_length; }
    /// No address was stored (default-constructed, or the system call that should fill it failed).
    [[nodiscard]] bool empty() const noexcept { return m_length == 0; }

private:
    sockaddr_storage m_storage{};
    socklen_t m_length = 0;
};

}  // namespace asyncio
