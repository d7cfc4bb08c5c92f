#pragma once

#include <asyncio/core/task.hpp>
#include <asyncio/io/address.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace asyncio {

/// UDP: a datagram endpoint bound to a local address, made by open_datagram() (MicroPython's
/// asyncio has none; its users have asked for it for years).
///
///     auto udp = co_await asyncio::open_datagram("0.0.0.0", 5005);
///     auto [data, sender] = co_await udp.recv_from();
///     co_await udp.send_to("pong", sender);
///
/// Move-only. close() or the destructor closes the socket at once; an operation waiting on it
/// then throws InvalidStateError. Use it on the loop's thread only.
class DatagramEndpoint {
public:
    /// The largest datagram recv_from() returns by default (the UDP maximum).
    static constexpr std::size_t kMaxDatagram = 65535;

    /// An endpoint with no socket; only assignment and destruction are valid on it.
    DatagramEndpoint() = default;
    /// Takes over `other`'s socket; `other` is left without one.
    DatagramEndpoint(DatagramEndpoint&&) noexcept = default;
    /// Closes the socket this endpoint held (as close(), as the destructor does: a send_to() or
    /// recv_from() waiting on it throws InvalidStateError), then takes over `other`'s; `other` is
    /// left without one.
    DatagramEndpoint& operator=(DatagramEndpoint&& other) noexcept;
    /// Closes the socket (as close()).
    ~DatagramEndpoint();

    /// Sends one datagram to `destination`.
    /// Suspends when: the socket's send buffer is full (EAGAIN). Resumed by: the poller, once it
    /// is writable; the whole datagram is then sent again.
    /// Returns: once the kernel took the datagram (UDP: no delivery is promised). Throws
    /// std::system_error if sendto() fails (EMSGSIZE for a datagram too large, say),
    /// InvalidStateError if the endpoint is closed, before or while it waits.
    /// Cancellation: nothing is sent; CancelledError.
    /// Lifetime: the endpoint must be alive when the call starts; the operation keeps the socket
    /// open until it ends.
    [[nodiscard]] Task<> send_to(std::string data, Address destination);
    /// send_to() to host:port, `host` a numeric IPv4 or IPv6 address (no name lookup);
    /// std::invalid_argument if it is not one. Otherwise as send_to(data, destination).
    [[nodiscard]] Task<> send_to(std::string data, const std::string& host, std::uint16_t port);
    /// Receives one datagram.
    /// Suspends when: none is waiting in the socket. Resumed by: the poller, when one arrives
    /// (or by close(), which ends the wait with InvalidStateError).
    /// Returns: its bytes (at most `max_size`: the rest of a longer datagram is lost, as with
    /// recvfrom()) and its sender. Throws std::system_error if recvfrom() fails,
    /// InvalidStateError if the endpoint is closed.
    /// Cancellation: unregisters; no datagram is consumed; CancelledError.
    /// Lifetime: as send_to().
    [[nodiscard]] Task<std::pair<std::string, Address>> recv_from(std::size_t max_size = kMaxDatagram);
    /// Closes the socket now and wakes a send_to() or recv_from() waiting on it (they throw
    /// InvalidStateError). Calling it again does nothing.
    void close() noexcept;
    /// The local address the socket is bound to (the port chosen for port 0); empty once
    /// closed.
    [[nodiscard]] Address sockname() const;

    struct State;
    /// For open_datagram(): an endpoint over a bound socket's state.
    explicit DatagramEndpoint(std::shared_ptr<State> state) noexcept : m_state(std::move(state)) {}

private:
    std::shared_ptr<State> m_state;
};

/// Opens a UDP socket bound to local_host:local_port. `local_host` is a numeric IPv4 or IPv6
/// address (no name lookup; "" means "0.0.0.0"); port 0: any free port (see sockname()).
/// Never suspends. Throws std::invalid_argument for a host that is not numeric,
/// std::system_error if the socket cannot be opened or bound (EADDRINUSE, say).
[[nodiscard]] Task<DatagramEndpoint> open_datagram(std::string local_host, std::uint16_t local_port);

}  // namespace asyncio
