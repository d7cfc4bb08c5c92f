#pragma once
// A socket address (IPv4 or IPv6) with the host and port a user wants to see.

#include <cstdint>
#include <string>

#include <sys/socket.h>

namespace asyncio {

class Address {
public:
    Address() = default;
    Address(const sockaddr* address, socklen_t length) noexcept;

    /// "127.0.0.1" or "::1".
    [[nodiscard]] std::string host() const;
    [[nodiscard]] std::uint16_t port() const noexcept;
    /// "127.0.0.1:8080" or "[::1]:8080".
    [[nodiscard]] std::string to_string() const;
    [[nodiscard]] int family() const noexcept { return m_storage.ss_family; }
    [[nodiscard]] const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&m_storage); }
    [[nodiscard]] socklen_t size() const noexcept { return m_length; }
    [[nodiscard]] bool empty() const noexcept { return m_length == 0; }

private:
    sockaddr_storage m_storage{};
    socklen_t m_length = 0;
};

}  // namespace asyncio
