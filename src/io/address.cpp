// Address: a socket address with the host and port a user reads (include/asyncio/io/address.hpp).
// Only formats what a sockaddr holds, so every back-end shares it (the lwIP one included).
#include <asyncio/io/address.hpp>

#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>

#include "has_ipv6.hpp"

namespace asyncio {

namespace {
#if ASYNCIO_HAS_IPV6
constexpr std::size_t kHostTextSize = INET6_ADDRSTRLEN;
#else
constexpr std::size_t kHostTextSize = INET_ADDRSTRLEN;
#endif
}  // namespace

Address::Address(const sockaddr* address, socklen_t length) noexcept : m_length(length) {
    if (length > sizeof m_storage) length = m_length = sizeof m_storage;
    std::memcpy(&m_storage, address, length);
}

namespace {
/// Dotted decimal without inet_ntop, whose sprintf cost about 1,700 instructions: a fifth of
/// serving a one-request connection, which formats its peer for the access log (callgrind).
char* format_ipv4(const sockaddr_storage& storage, char* out) noexcept {
    const auto* bytes = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr);
    for (int i = 0; i < 4; ++i) {
        if (i > 0) *out++ = '.';
        out = std::to_chars(out, out + 3, bytes[i]).ptr;
    }
    return out;
}

/// Writes the host part at `out` (room for kHostTextSize); returns its end.
char* format_host(const sockaddr_storage& storage, char* out) noexcept {
    if (storage.ss_family == AF_INET) return format_ipv4(storage, out);
#if ASYNCIO_HAS_IPV6
    if (storage.ss_family == AF_INET6 &&
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, out, INET6_ADDRSTRLEN) != nullptr) {
        return out + std::strlen(out);
    }
#endif
    return out;
}

/// Whether the address is IPv6. Not `family() == AF_INET6` alone: without IPv6, lwIP's AF_INET6
/// is AF_UNSPEC, the family of an empty Address.
bool is_ipv6(const sockaddr_storage& storage) noexcept {
#if ASYNCIO_HAS_IPV6
    return storage.ss_family == AF_INET6;
#else
    (void)storage;
    return false;
#endif
}
}  // namespace

std::string Address::host() const {
    char text[kHostTextSize];
    return std::string(text, format_host(m_storage, text));
}

std::uint16_t Address::port() const noexcept {
    if (m_storage.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&m_storage)->sin_port);
#if ASYNCIO_HAS_IPV6
    if (m_storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&m_storage)->sin6_port);
#endif
    return 0;
}

std::string Address::to_string() const {
    if (empty()) return {};
    char text[kHostTextSize + 9];  // "[" host "]:" port
    char* out = text;
    const bool v6 = is_ipv6(m_storage);
    if (v6) *out++ = '[';
    out = format_host(m_storage, out);
    if (v6) *out++ = ']';
    *out++ = ':';
    out = std::to_chars(out, text + sizeof text, port()).ptr;
    return std::string(text, out);
}

}  // namespace asyncio
