#pragma once
// Every raw socket system call of the io layer, in one place (Asio's socket_ops). Each returns a
// result or an errno value and never throws; the callers throw once, naming the call, through
// throw_error(), so a build without exceptions changes this seam only.

#include <asyncio/io/address.hpp>

#include <cstddef>
#include <string>
#include <sys/types.h>
#include <vector>

namespace asyncio::detail {

/// Throws std::system_error for `error` (an errno value), naming `call`.
[[noreturn]] void throw_error(int error, const char* call);

/// A result of a system call: the value, or the errno it failed with.
struct IoResult {
    ssize_t value = 0;
    int error = 0;
    [[nodiscard]] bool would_block() const noexcept;
};

/// Creates a non-blocking, close-on-exec socket.
IoResult open_socket(int family, int type) noexcept;
void close_socket(int fd) noexcept;

IoResult receive(int fd, char* buffer, std::size_t size) noexcept;
/// send() with MSG_NOSIGNAL: a vanished peer is an EPIPE error, never a SIGPIPE.
IoResult send(int fd, const char* data, std::size_t size) noexcept;
IoResult shutdown_write(int fd) noexcept;
/// One datagram to `destination` (MSG_NOSIGNAL). Retries EINTR.
IoResult send_to(int fd, const char* data, std::size_t size, const Address& destination) noexcept;
/// One datagram into `buffer`; its sender in `sender`. Retries EINTR.
IoResult receive_from(int fd, char* buffer, std::size_t size, Address* sender) noexcept;
IoResult bind(int fd, const Address& address) noexcept;

/// Accepts one connection as a non-blocking, close-on-exec socket.
IoResult accept(int listener, Address* peer) noexcept;
IoResult bind_and_listen(int fd, const Address& address, int backlog) noexcept;
/// Sets SO_REUSEPORT (call it before bind_and_listen()); error ENOPROTOOPT where the platform
/// has no such option.
IoResult set_reuse_port(int fd) noexcept;
/// Starts a non-blocking connect; error EINPROGRESS means "wait until writable, then ask
/// connect_result()".
IoResult start_connect(int fd, const Address& address) noexcept;
int connect_result(int fd) noexcept;

Address local_address(int fd) noexcept;
Address peer_address(int fd) noexcept;

/// Socket options a device needs.
IoResult set_option(int fd, int level, int name, int value) noexcept;

/// getaddrinfo(). Blocks: call it through to_thread when the host is a name.
/// Returns the error text in `error` (empty on success).
std::vector<Address> resolve(const std::string& host, std::uint16_t port, int type, bool passive, std::string& error);
/// Parses a numeric IPv4/IPv6 host without any lookup; empty when `host` is a name. In a build
/// without IPv6 (lwIP without LWIP_IPV6), an IPv6 address throws std::system_error(EAFNOSUPPORT).
std::vector<Address> resolve_numeric(const std::string& host, std::uint16_t port);

}  // namespace asyncio::detail
