#pragma once

#include <asyncio/core/task.hpp>
#include <asyncio/io/address.hpp>
#include <asyncio/io/stream.hpp>

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace asyncio {

/// What the accept loop did, for metrics. Every counter only grows.
struct AcceptStats {
    std::uint64_t accepted = 0;  ///< connections handed to the callback
    std::uint64_t shed = 0;      ///< accepted only to be refused: out of descriptors for too long
    std::uint64_t backoffs = 0;  ///< pauses (up to 100 ms) while out of descriptors or memory
};

/// A TCP server made by start_server(): each connection handled by the callback in a task of its
/// own.
///
///     asyncio::Task<> handle(asyncio::Stream s) { ... }
///     auto server = co_await asyncio::start_server(handle, "0.0.0.0", 80);
///     co_await server.serve_forever();      // or keep it and do other work
///
/// An exception escaping one callback is reported (set_error_reporter, with the peer's address)
/// and closes that connection only.
///
/// Out of descriptors (EMFILE, ENFILE) the server neither spins the CPU nor stops: it reports the
/// shortage once and retries every 100 ms (sooner when one of its own connections ends), while
/// new connections wait in the kernel's backlog and are accepted as soon as descriptors are free.
/// If nothing at all could be accepted for 2 s (every descriptor held by connections that stay),
/// the connections waiting then are shed: each is accepted on a descriptor the server keeps in
/// reserve for this, sent the refusal message (set_refusal_message()), shut down cleanly (a FIN,
/// not a reset) and closed. accept_stats() counts all of it.
///
/// The accept tasks and the connection tasks share the server's state, so they run on whatever
/// happens to the Server object; only close() (or the destructor) stops accepting. Use it on the
/// loop's thread only.
class Server {
public:
    /// The connection handler: called once per accepted connection, in a task of its own, with
    /// the connected Stream (TCP_NODELAY set). The Stream lives in the handler's frame, so the
    /// connection closes when the handler ends unless it moved the Stream elsewhere.
    using Callback = std::function<Task<>(Stream)>;

    /// A Server with no socket (nothing to close); is_serving() is false.
    Server() = default;
    /// Takes over `other`'s server; `other` no longer controls it.
    Server(Server&&) noexcept = default;
    /// Closes the server this object held (as close(), as the destructor does), then takes over
    /// `other`'s; `other` no longer controls it.
    Server& operator=(Server&& other) noexcept {
        if (this != &other) {
            close();
            m_state = std::move(other.m_state);
        }
        return *this;
    }
    /// Closes the server (as close()) if that was not done.
    ~Server();

    /// Stops accepting: the accept tasks are cancelled and the listening sockets closed at once
    /// (the port is free again). Connections already accepted go on. Wakes serve_forever() and
    /// wait_closed(). Calling it again does nothing.
    void close() noexcept;
    /// Suspends when: the server has not been closed, or its accept tasks or connection handlers
    /// are still running. Resumed by: close(), then the last accept task and the last connection
    /// handler ending (handlers end on their own, or by close_clients()).
    /// Returns: void, once nothing of the server runs any more. A handler's exception was
    /// reported when it ended and is not thrown here.
    /// Cancellation: once it waits for the handlers, cancels every one still running, waits
    /// until all have ended, then throws CancelledError; earlier, it only throws CancelledError.
    /// Lifetime: the Server must be alive when the call starts; the wait then holds the server's
    /// state itself. On a default-constructed Server: InvalidStateError.
    [[nodiscard]] Task<> wait_closed();
    /// Suspends when: the server is serving (always, unless close() came first). Resumed by:
    /// close(), from another task, a signal handler's callback or the Server's destructor.
    /// Returns: void. Unlike CPython's, it does not close the server when cancelled: it throws
    /// CancelledError and the server goes on serving.
    /// Lifetime: as wait_closed(). On a default-constructed Server: InvalidStateError.
    [[nodiscard]] Task<> serve_forever();
    /// Cancels every connection handler still running, without waiting for them (graceful
    /// shutdown uses this last, then wait_closed()).
    void close_clients() noexcept;

    /// True from start_server() until close().
    [[nodiscard]] bool is_serving() const noexcept;
    /// The port listened on (useful after binding port 0).
    [[nodiscard]] std::uint16_t port() const noexcept;
    /// Every address listened on.
    [[nodiscard]] std::vector<Address> sockets() const;
    /// Connection handlers running now.
    [[nodiscard]] std::size_t active_connections() const noexcept;
    /// A copy of the accept loop's counters now (all zero for a Server with no socket).
    [[nodiscard]] AcceptStats accept_stats() const noexcept;

    /// Bytes sent to each connection the server sheds, before it closes it: a protocol's "busy"
    /// answer (an HTTP server sets a 503 response). Empty by default: the connection is only
    /// closed, without a reset. Sent in one non-blocking send(), so keep it short (under 1 KiB).
    void set_refusal_message(std::string message);

    struct State;
    /// For start_server(): a Server over the state its accept tasks share.
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

/// How start_server() listens: Python's start_server() keyword arguments `backlog=` and
/// `reuse_port=`.
///
///     asyncio::ListenOptions listen;
///     listen.reuse_port = true;         // one listener per thread, each with its own loop
///     auto server = co_await asyncio::start_server(handle, "0.0.0.0", 8080, listen);
struct ListenOptions {
    /// The listen backlog: connections the kernel holds until they are accepted.
    int backlog = kDefaultBacklog;
    /// Sets SO_REUSEPORT before binding, so that several sockets (each with its own event loop,
    /// in one process or several) listen on the same address and port, and the kernel spreads
    /// new connections across them. Every socket sharing the port must set it (a listener
    /// without it makes the others' bind fail with EADDRINUSE, and the other way round); Linux
    /// lets only sockets of the same user share a port. Where the platform has no SO_REUSEPORT
    /// (the lwIP back-end, lwIP sockets), start_server() throws std::system_error
    /// (ENOPROTOOPT) rather than listen without it.
    bool reuse_port = false;
};

/// Listens on host:port ("0.0.0.0", "::", "localhost", a name, or "" for every interface; port 0
/// picks a free port, reported by Server::port()). `backlog` defaults to kDefaultBacklog so bursts of
/// connections are not dropped by the kernel. Every address a name resolves to is listened on,
/// all on the same port.
/// Suspends when: `host` is a name: it is resolved on a worker thread (other tasks run).
/// Returns: the Server, listening, its accept tasks scheduled on the loop: `callback` runs for
/// each connection once they run. Throws std::system_error if the name does not resolve or the server cannot
/// listen (EADDRINUSE, say).
[[nodiscard]] Task<Server> start_server(Server::Callback callback, std::string host, std::uint16_t port,
                                        int backlog = kDefaultBacklog);

/// start_server() with the listening socket's options (ListenOptions: backlog, reuse_port);
/// otherwise as above. With `reuse_port`, port 0 picks a free port for the first socket only:
/// give the others the port it got (Server::port()).
/// Suspends when: as above. Returns: as above. Throws: as above, and std::system_error
/// (ENOPROTOOPT) for `reuse_port` where the platform has no SO_REUSEPORT.
[[nodiscard]] Task<Server> start_server(Server::Callback callback, std::string host, std::uint16_t port,
                                        ListenOptions options);

}  // namespace asyncio
