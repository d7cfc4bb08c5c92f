#pragma once
// The state a Server shares with its accept tasks and connection tasks (src/io, not installed).

#include <asyncio/core/event.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/io/detail/socket_ops.hpp>
#include <asyncio/io/poller.hpp>
#include <asyncio/io/server.hpp>

#include <sys/socket.h>

#include <chrono>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace asyncio {

/// How long to wait before accepting again when the process is out of descriptors or memory
/// (sooner when one of the server's own connections ends and frees its descriptor).
inline constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

/// A listening socket. close() frees the port at once; the object itself lives as long as the
/// server's state, because the accept task's wait refers to it until that task is gone.
struct Listener {
    Listener(int socket, Address bound) : io(socket), address(bound) {}
    ~Listener() { close(); }
    void close() noexcept {
        const int fd = io.fd();
        io.release_descriptor();
        detail::close_socket(fd);
    }
    detail::IoHandle io;
    Address address;
};

/// A descriptor kept open for one purpose: when the process has no other one left, closing it
/// lets the server accept one waiting connection to refuse it (rather than leave it hanging).
/// An unconnected socket, so that it also counts where only sockets are limited (lwIP).
class ReserveDescriptor {
public:
    ReserveDescriptor() = default;
    ReserveDescriptor(const ReserveDescriptor&) = delete;
    ReserveDescriptor& operator=(const ReserveDescriptor&) = delete;
    ~ReserveDescriptor() { release(); }
    /// Opens it if it is not open; stays released if the process is out of descriptors.
    void take(int family) noexcept {
        if (m_fd >= 0) return;
        const detail::IoResult opened = detail::open_socket(family, SOCK_STREAM);
        if (opened.error == 0) m_fd = static_cast<int>(opened.value);
    }
    void release() noexcept {
        if (m_fd >= 0) detail::close_socket(std::exchange(m_fd, -1));
    }
    [[nodiscard]] bool held() const noexcept { return m_fd >= 0; }

private:
    int m_fd = -1;  ///< -1: not held (not opened yet, given up for a moment, or server closed)
};

struct Server::State {
    explicit State(Callback handler) : callback(std::move(handler)) {}
    Callback callback;
    std::list<std::unique_ptr<Listener>> listeners;
    /// The accept tasks while the server serves. close() cancels them and drops these references
    /// (each task's frame holds the state: keeping them here would be a reference cycle).
    std::vector<TaskRef> accept_tasks;
    std::size_t accepting = 0;  ///< accept tasks not finished yet
    Event accept_done;          ///< set when `accepting` drops to zero
    TaskGroup clients;          ///< one task per connection
    Event closed;
    bool connection_ended = false;  ///< since the accept loop began to back off
    bool serving = false;
    ReserveDescriptor reserve;  ///< held while serving
    int reserve_family = AF_INET;
    std::string refusal;  ///< sent to a shed connection (set_refusal_message)
    AcceptStats stats;
};

}  // namespace asyncio
