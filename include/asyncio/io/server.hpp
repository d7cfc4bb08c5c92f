#pragma once
// start_server(): a TCP server, each connection handled by `callback` in a task of its own.
//
//   asyncio::Task<> handle(asyncio::Stream s) { ... }
//   auto server = co_await asyncio::start_server(handle, "0.0.0.0", 80);
//   co_await server.serve_forever();      // or keep it and do other work
//
// An exception escaping one callback is reported (set_error_reporter, with the peer's address)
// and closes that connection only. Running out of descriptors (EMFILE) neither spins the CPU nor
// stops the server: it is reported once, the server retries every 100 ms (the connection waits in
// the kernel's backlog meanwhile) and accepts again once descriptors are free.

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

    struct State;
    explicit Server(std::shared_ptr<State> state) noexcept : m_state(std::move(state)) {}

private:
    std::shared_ptr<State> m_state;
};

/// Listens on host:port ("0.0.0.0", "::", "localhost", a name, or "" for every interface; port 0
/// picks a free port, reported by Server::port()). `backlog` defaults to SOMAXCONN so bursts of
/// connections are not dropped by the kernel. Throws std::system_error if it cannot listen.
[[nodiscard]] Task<Server> start_server(Server::Callback callback, std::string host, std::uint16_t port,
                                        int backlog = SOMAXCONN);

}  // namespace asyncio
