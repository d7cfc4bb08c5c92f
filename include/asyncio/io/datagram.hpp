#pragma once
// UDP: a datagram endpoint bound to a local address (MicroPython's asyncio has none; its users
// have asked for it for years).
//
//   auto udp = co_await asyncio::open_datagram("0.0.0.0", 5005);
//   auto [data, sender] = co_await udp.recv_from();
//   co_await udp.send_to("pong", sender);

#include <asyncio/core/task.hpp>
#include <asyncio/io/address.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace asyncio {

class DatagramEndpoint {
public:
    /// The largest datagram recv_from() returns by default (the UDP maximum).
    static constexpr std::size_t kMaxDatagram = 65535;

    DatagramEndpoint() = default;
    DatagramEndpoint(DatagramEndpoint&&) noexcept = default;
    DatagramEndpoint& operator=(DatagramEndpoint&&) noexcept = default;
    ~DatagramEndpoint();

    /// Sends one datagram to `destination`, waiting while the socket buffer is full.
    [[nodiscard]] Task<> send_to(std::string data, Address destination);
    /// Sends one datagram to host:port (a numeric address).
    [[nodiscard]] Task<> send_to(std::string data, const std::string& host, std::uint16_t port);
    /// Suspends until a datagram arrives; returns its bytes and its sender.
    /// Cancellation: unregisters; no datagram is consumed.
    [[nodiscard]] Task<std::pair<std::string, Address>> recv_from(std::size_t max_size = kMaxDatagram);
    void close() noexcept;
    [[nodiscard]] Address sockname() const;

    struct State;
    explicit DatagramEndpoint(std::shared_ptr<State> state) noexcept : m_state(std::move(state)) {}

private:
    std::shared_ptr<State> m_state;
};

/// Opens a UDP socket bound to local_host:local_port (port 0: any free port).
[[nodiscard]] Task<DatagramEndpoint> open_datagram(std::string local_host, std::uint16_t local_port);

}  // namespace asyncio
