#pragma once
// The lwIP back-end's sockets: a fixed table of TCP endpoints, each an lwIP pcb with what its
// callbacks have delivered and not been read yet. A descriptor is an index into the table (plus
// kFirstDescriptor), so the io layer's Stream, Server and IoHandle work on them unchanged; the
// socket_ops functions (socket_ops_lwip.cpp) are the "system calls" over it.
//
// lwIP's callbacks run inside the loop's platform wait (frame input, lwIP timers) and inside
// calls such as tcp_abort(); they only record what happened and tell the socket's IoHandle
// (on_events), which schedules the waiting tasks: no task code ever runs on lwIP's stack.

#include <asyncio/io/poller.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#ifndef ASYNCIO_LWIP_MAX_SOCKETS
#define ASYNCIO_LWIP_MAX_SOCKETS 16
#endif

struct tcp_pcb;

namespace asyncio::detail::lwip {

/// Descriptors 0-2 would look like stdio to anyone printing them.
inline constexpr int kFirstDescriptor = 3;
inline constexpr std::size_t kMaxSockets = ASYNCIO_LWIP_MAX_SOCKETS;
/// Connections a listener holds accepted, until the server takes them with accept().
inline constexpr std::size_t kMaxPending = 8;

struct Socket {
    enum class Kind : std::uint8_t { free, unbound, listener, connection };

    Kind kind = Kind::free;
    tcp_pcb* pcb = nullptr;      ///< nullptr once lwIP has freed it (reset, abort) or it was closed
    /// Received bytes not read yet, from `received_start` on: at most TCP_WND, since the window
    /// reopens only as they are read. Copied out of lwIP's pbufs at once, because those come from
    /// the driver's small receive pool, which a few idle connections would otherwise pin.
    std::string received;
    std::size_t received_start = 0;
    int error = 0;               ///< errno value the next receive/send reports (sticky)
    bool peer_closed = false;    ///< the peer's FIN arrived: reading ends after `received`
    bool write_shut = false;     ///< shutdown_write() was called
    bool connecting = false;     ///< tcp_connect() sent the SYN, no answer yet
    bool write_starved = false;  ///< a send found lwIP's heap full: retried when any pcb frees some
    /// SO_SNDBUF: at most this many bytes queued in lwIP (sent or not, unacknowledged); the
    /// build's TCP_SND_BUF bounds every connection anyway, so only a smaller cap changes anything.
    std::uint32_t send_buffer_cap = UINT32_MAX;
    IoHandle* handle = nullptr;  ///< the poller's handle of this descriptor, told of readiness
    // A listener's accepted connections, oldest first (descriptors).
    std::array<std::int16_t, kMaxPending> pending{};
    std::uint8_t pending_head = 0;
    std::uint8_t pending_count = 0;
};

/// The socket behind `fd`, or nullptr if it is not an open descriptor of the table.
[[nodiscard]] Socket* find(int fd) noexcept;
/// The descriptor of a table entry.
[[nodiscard]] int descriptor_of(const Socket& socket) noexcept;
/// A new unbound socket; -1 when the table is full.
[[nodiscard]] int allocate() noexcept;
/// Closes whatever the socket holds (pcb, unread data, pending connections) and frees its entry.
void release(int fd) noexcept;

/// Makes `socket` a listener on its (bound) listen pcb.
void start_listening(Socket& socket, tcp_pcb* listen_pcb) noexcept;
/// Takes the oldest accepted connection of a listener: its descriptor, or -1 if none waits.
[[nodiscard]] int take_pending(Socket& listener) noexcept;
/// Makes `socket` a connection on `pcb` (its callbacks point at it).
void attach_connection(Socket& socket, tcp_pcb* pcb) noexcept;

/// Binds a new listen pcb to `address`:`port` (IPv4, network byte order) and makes `socket` a
/// listener. Returns 0 or an errno value.
int listen_on(Socket& socket, std::uint32_t address, std::uint16_t port, int backlog) noexcept;
/// Starts connecting: EINPROGRESS (the socket turns writable once connected, or reports its
/// error), or another errno value if it could not start.
int connect_to(Socket& socket, std::uint32_t address, std::uint16_t port) noexcept;
/// Queues as much of `data` as the pcb's send buffer takes and sends it. Returns 0 (with
/// `sent` > 0), EAGAIN when the buffer is full, or the connection's error.
int send_some(Socket& socket, const char* data, std::size_t size, std::size_t& sent) noexcept;
/// Sends a FIN after what is queued.
int shut_down_sending(Socket& socket) noexcept;
int set_no_delay(Socket& socket, bool enabled) noexcept;
int set_keepalive(Socket& socket, bool enabled) noexcept;
/// SO_SNDBUF: caps what the socket queues for sending at `bytes` (at least one MSS).
int set_send_buffer_cap(Socket& socket, std::size_t bytes) noexcept;

/// An IPv4 endpoint of a socket (address in network byte order).
struct Endpoint {
    std::uint32_t address = 0;
    std::uint16_t port = 0;
    bool known = false;
};
[[nodiscard]] Endpoint local_endpoint(const Socket& socket) noexcept;
[[nodiscard]] Endpoint peer_endpoint(const Socket& socket) noexcept;

/// Copies up to `size` received bytes into `buffer` and reopens the receive window by as much.
/// Returns how many were copied (0 when nothing is buffered).
std::size_t read_received(Socket& socket, char* buffer, std::size_t size) noexcept;

/// True once since the last call if any callback made a socket ready (the poller then does not
/// go to sleep: the tasks it woke are to run first).
[[nodiscard]] bool take_activity() noexcept;

/// Connections refused because the table or a listener's queue was full.
[[nodiscard]] std::size_t refused_count() noexcept;
[[nodiscard]] std::size_t in_use_count() noexcept;

}  // namespace asyncio::detail::lwip
