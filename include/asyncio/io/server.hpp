#pragma once
// start_server(): a TCP server, each connection handled by `callback` in a task of its own.
//
//   asyncio::Task<> handle(asyncio::Stream s) { ... }
//   auto server = co_await asyncio::start_server(handle, "0.0.0.0", 80);
//   co_await server.serve_forever();      // or keep it and do other work
//
// An exception escaping one callback is reported (set_error_reporter, with the peer's address)
// and closes that connection only.
//
// Out of descriptors (EMFILE, ENFILE) the server neither spins the CPU nor stops: it reports the
// shortage once and retries every 100 ms (sooner when one of its own connections ends), while
// new connections wait in the kernel's backlog and are accepted as soon as descriptors are free.
// If nothing at all could be accepted for 2 s (every descriptor held by connections that stay),
// the connections waiting then are shed: each is accepted on a descriptor the server keeps in
// reserve for this, sent the refusal message (set_refusal_message()), shut down cleanly (a FIN,
// not a reset) and closed. accept_stats() counts all of it.

#include <asyncio/core/task.hpp>
#include <asyncio/io/address.hpp>
#include <asyncio/io/stream.hpp>

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace asyncio {

/// What the accept loop did, for metrics. Every counter only grows.
struct AcceptStats {
    std::uint64_t accepted = 0;  ///< connections handed to the callback
    std::uint64_t shed = 0;      ///< accepted only to be refused: out of descriptors for too long
    std::uint64_t backoffs = 0;  ///< pauses (up to 100 ms) while out of descriptors or memory
};

class Server {
public:
    using Callback = std::function<Task<>(Stream)>;

    Server() = default;
    Server(Server&&) noexcept = default;
    Server& operator=(Server&&) noexcept = default;
    /// Closes the server (as close()) if that was not done.
    ~Server();

    /// Stops accepting: the accept tasks are cancelled and the listening sockets closed at once
    /// (the port is free again). Connections already accepted go on.
    void close() noexcept;
    /// Suspends until the server is closed and every connection handler has finished.
    /// Cancellation: cancels the connection handlers still running.
    [[nodiscard]] Task<> wait_closed();
    /// Suspends until close() is called (by another task or a signal handler).
    [[nodiscard]] Task<> serve_forever();
    /// Cancels every connection handler still running (graceful shutdown uses this last).
    void close_clients() noexcept;

    [[nodiscard]] bool is_serving() const noexcept;
    /// The port listened on (useful after binding port 0).
    [[nodiscard]] std::uint16_t port() const noexcept;
    /// Every address listened on.
    [[nodiscard]] std::vector<Address> sockets() const;
    /// Connection handlers running now.
    [[nodiscard]] std::size_t active_connections() const noexcept;
    [[nodiscard]] AcceptStats accept_stats() const noexcept;

    /// Bytes sent to each connection the server sheds, before it closes it: a protocol's "busy"
    /// answer (an HTTP server sets a 503 response). Empty by default: the connection is only
    /// closed, without a reset. Sent in one non-blocking send(), so keep it short (under 1 KiB).
    void set_refusal_message(std::string message);

    struct State;
    explicit Server(std::shared_ptr<State> state) noexcept : m_state(std::move(state)) {}

private:
    std::shared_ptr<State> m_state;
};

/// The default listen backlog: the system's largest (SOMAXCONN), so that bursts of connections
/// are not dropped; 16 where the socket headers name none (lwIP's).
#ifdef SOMAXCONN
inline constexpr int kDefaultBacklog = SOMAXCONN;
#else
inline constexpr int kDefaultBacklog = 16;
#endif

/// Listens on host:port ("0.0.0.0", "::", "localhost", a name, or "" for every interface; port 0
/// picks a free port, reported by Server::port()). `backlog` defaults to kDefaultBacklog so bursts of
/// connections are not dropped by the kernel. Throws std::system_error if it cannot listen.
[[nodiscard]] Task<Server> start_server(Server::Callback callback, std::string host, std::uint16_t port,
                                        int backlog = kDefaultBacklog);

}  // namespace asyncio
