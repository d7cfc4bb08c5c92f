#include <asyncio/io/server.hpp>

#include <asyncio/core/event.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/to_thread.hpp>
#include <asyncio/io/detail/socket_ops.hpp>
#include <asyncio/io/poller.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <list>
#include <system_error>

namespace asyncio {

namespace {
/// Connections accepted in one go before other tasks get a turn.
constexpr int kAcceptBatch = 64;
/// How long to wait before accepting again when the process is out of descriptors or memory.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

bool is_resource_shortage(int error) noexcept {
    return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}
bool is_transient(int error) noexcept {
    // The peer gave up before we accepted, or the kernel reports a network error of that one
    // connection (accept(2) lists these as "treat like EAGAIN").
    return error == ECONNABORTED || error == EINTR || error == EPROTO || error == EPERM || error == ENETDOWN ||
           error == ENOPROTOOPT || error == EHOSTDOWN || error == ENONET || error == EHOSTUNREACH ||
           error == EOPNOTSUPP || error == ENETUNREACH;
}
}  // namespace

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
    bool serving = false;
};

namespace {

/// `peer` comes from accept() (no getpeername() per connection) and is formatted only to report.
Task<> serve_client(std::shared_ptr<Server::State> state, Stream stream, Address peer) {
    try {
        co_await state->callback(std::move(stream));
    } catch (const CancelledError&) {
        throw;  // close_clients() or the loop shutting down: not a failure of the handler
    } catch (const std::exception& error) {
        detail::report("connection handler for " + peer.to_string() + " failed: " + error.what());
    } catch (...) {
        detail::report("connection handler for " + peer.to_string() + " failed with an unknown exception");
    }
}

void start_client(const std::shared_ptr<Server::State>& state, int fd, const Address& peer) {
    try {
        Stream stream(detail::NonBlockingSocket{fd});  // accept4 made it non-blocking
        detail::set_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);  // responses go out at once
        (void)state->clients.create_task(serve_client(state, std::move(stream), peer));
    } catch (const std::exception& error) {
        detail::report(std::string("could not start a connection handler: ") + error.what());
    }
}

Task<> accept_loop(std::shared_ptr<Server::State> state, Listener& listener) {
    struct Finished {  // however the task ends (it ends by cancellation)
        Server::State& state;
        ~Finished() {
            if (--state.accepting == 0) state.accept_done.set();
        }
    } finished{*state};
    int reported_error = 0;  // an error is reported once, not at every retry
    for (;;) {
        co_await listener.io.wait_readable();
        bool back_off = false;
        for (int accepted = 0; accepted < kAcceptBatch && !back_off; ++accepted) {
            Address peer;
            const detail::IoResult result = detail::accept(listener.io.fd(), &peer);
            if (result.error == 0) {
                reported_error = 0;
                start_client(state, static_cast<int>(result.value), peer);
            } else if (result.would_block()) {
                listener.io.not_readable();
                break;
            } else if (!is_transient(result.error)) {
                // Out of descriptors or memory (or worse): retrying at once would spin, so wait;
                // the connection stays in the kernel's backlog until then.
                if (result.error != reported_error) {
                    const char* hint = is_resource_shortage(result.error) ? "; retrying every 100 ms" : "";
                    detail::report("accept on " + listener.address.to_string() + ": " +
                                   std::system_category().message(result.error) + hint);
                    reported_error = result.error;
                }
                back_off = true;
            }
        }
        // Either back off (no descriptors: retrying at once would spin) or just let others run.
        if (back_off) {
            co_await sleep(kAcceptBackoff);
        } else {
            co_await sleep(0);
        }
    }
}

void listen_on(Server::State& state, const Address& address, int backlog) {
    const detail::IoResult opened = detail::open_socket(address.family(), SOCK_STREAM);
    if (opened.error != 0) detail::throw_error(opened.error, "socket");
    const int fd = static_cast<int>(opened.value);
    const detail::IoResult listening = detail::bind_and_listen(fd, address, backlog);
    if (listening.error != 0) {
        detail::close_socket(fd);
        throw std::system_error(listening.error, std::system_category(), "bind/listen on " + address.to_string());
    }
    std::unique_ptr<Listener> listener;
    try {
        listener = std::make_unique<Listener>(fd, detail::local_address(fd));
    } catch (...) {
        detail::close_socket(fd);
        throw;
    }
    state.listeners.push_back(std::move(listener));
}

Task<std::vector<Address>> resolve_listen_host(std::string host, std::uint16_t port) {
    std::vector<Address> addresses = detail::resolve_numeric(host, port);
    if (!addresses.empty()) co_return addresses;
    auto lookup = [](std::string name, std::uint16_t number) {
        std::string error;
        auto found = detail::resolve(name, number, SOCK_STREAM, true, error);
        if (found.empty()) throw std::system_error(std::make_error_code(std::errc::address_not_available), error);
        return found;
    };
    co_return co_await to_thread(lookup, std::move(host), port);
}

/// `address` with `port` in place of its own.
Address with_port(const Address& address, std::uint16_t port) {
    auto numeric = detail::resolve_numeric(address.host(), port);
    return numeric.empty() ? address : numeric.front();
}

}  // namespace

Task<Server> start_server(Server::Callback callback, std::string host, std::uint16_t port, int backlog) {
    auto state = std::make_shared<Server::State>(std::move(callback));
    std::vector<Address> addresses = co_await resolve_listen_host(std::move(host), port);
    // A name may resolve to the same address twice (/etc/hosts): listen once on each.
    std::vector<Address> unique;
    for (const Address& address : addresses) {
        const bool seen = std::any_of(unique.begin(), unique.end(), [&](const Address& other) {
            return other.size() == address.size() && std::memcmp(other.data(), address.data(), address.size()) == 0;
        });
        if (!seen) unique.push_back(address);
    }
    std::exception_ptr skipped;
    for (const Address& address : unique) {
        // With port 0 and several addresses ("localhost": ::1 and 127.0.0.1), all listen on the
        // port the first one got, so the server has one port.
        const std::uint16_t chosen = state->listeners.empty() ? port : state->listeners.front()->address.port();
        try {
            listen_on(*state, with_port(address, chosen), backlog);
        } catch (const std::system_error& error) {
            // A name with several addresses, one of a family this host lacks (IPv6 switched off):
            // serve on the others, as CPython does. Any other failure is the caller's to see.
            const int code = error.code().value();
            if (unique.size() == 1 || (code != EAFNOSUPPORT && code != EADDRNOTAVAIL)) throw;
            skipped = std::current_exception();
        }
    }
    if (state->listeners.empty() && skipped) std::rethrow_exception(skipped);
    for (auto& listener : state->listeners) {
        ++state->accepting;
        state->accept_tasks.push_back(
            create_task(accept_loop(state, *listener), "accept " + listener->address.to_string()).ref());
    }
    state->serving = true;
    co_return Server(std::move(state));
}

Server::~Server() { close(); }

void Server::close() noexcept {
    if (!m_state || !m_state->serving) return;
    m_state->serving = false;
    for (TaskRef& task : m_state->accept_tasks) task.cancel();
    m_state->accept_tasks.clear();  // the loop keeps them alive until they are done
    for (auto& listener : m_state->listeners) listener->close();
    m_state->closed.set();
}

Task<> Server::wait_closed() {
    auto state = m_state;
    co_await state->closed.wait();
    if (state->accepting > 0) co_await state->accept_done.wait();
    co_await state->clients.wait();
}

Task<> Server::serve_forever() {
    auto state = m_state;
    co_await state->closed.wait();
}

void Server::close_clients() noexcept {
    if (m_state) m_state->clients.cancel_all();
}

bool Server::is_serving() const noexcept { return m_state && m_state->serving; }

std::uint16_t Server::port() const noexcept {
    return m_state && !m_state->listeners.empty() ? m_state->listeners.front()->address.port() : 0;
}

std::vector<Address> Server::sockets() const {
    std::vector<Address> addresses;
    if (m_state) {
        for (const auto& listener : m_state->listeners) addresses.push_back(listener->address);
    }
    return addresses;
}

std::size_t Server::active_connections() const noexcept { return m_state ? m_state->clients.size() : 0; }

}  // namespace asyncio
