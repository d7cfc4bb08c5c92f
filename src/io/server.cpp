#include <asyncio/io/server.hpp>

#include <asyncio/core/event.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/to_thread.hpp>
#include <asyncio/io/detail/socket_ops.hpp>
#include <asyncio/io/poller.hpp>

#include <asyncio/core/detail/task_set_wait.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
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
    std::vector<TaskRef> accept_tasks;
    TaskGroup clients;  ///< one task per connection
    Event closed;
    bool serving = false;
};

namespace {

Task<> serve_client(std::shared_ptr<Server::State> state, Stream stream) {
    const std::string peer = stream.get_extra_info("peername");
    try {
        co_await state->callback(std::move(stream));
    } catch (const CancelledError&) {
        // The server is shutting down.
    } catch (const std::exception& error) {
        detail::report("connection handler for " + peer + " failed: " + error.what());
    } catch (...) {
        detail::report("connection handler for " + peer + " failed with an unknown exception");
    }
}

void start_client(const std::shared_ptr<Server::State>& state, int fd) {
    try {
        Stream stream(fd);
        detail::set_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);  // responses go out at once
        (void)state->clients.create_task(serve_client(state, std::move(stream)));
    } catch (const std::exception& error) {
        detail::report(std::string("could not start a connection handler: ") + error.what());
    }
}

Task<> accept_loop(std::shared_ptr<Server::State> state, Listener& listener) {
    for (;;) {
        co_await listener.io.wait_readable();
        bool back_off = false;
        for (int accepted = 0; accepted < kAcceptBatch && !back_off; ++accepted) {
            const detail::IoResult result = detail::accept(listener.io.fd(), nullptr);
            if (result.error == 0) {
                start_client(state, static_cast<int>(result.value));
            } else if (result.would_block()) {
                listener.io.not_readable();
                break;
            } else if (is_resource_shortage(result.error)) {
                detail::report("accept: " + std::system_category().message(result.error) + "; retrying shortly");
                back_off = true;
            } else if (!is_transient(result.error)) {
                detail::report("accept: " + std::system_category().message(result.error));
                back_off = true;
            }
        }
        // Either back off (no descriptors: retrying at once would spin) or just let others run.
        co_await (back_off ? sleep(kAcceptBackoff) : sleep(0));
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
    state.listeners.push_back(std::make_unique<Listener>(fd, detail::local_address(fd)));
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
    const std::vector<Address> addresses = co_await resolve_listen_host(std::move(host), port);
    for (const Address& address : addresses) {
        // With port 0 and several addresses ("localhost": ::1 and 127.0.0.1), all listen on the
        // port the first one got, so the server has one port.
        const std::uint16_t chosen = state->listeners.empty() ? port : state->listeners.front()->address.port();
        listen_on(*state, with_port(address, chosen), backlog);
    }
    for (auto& listener : state->listeners) {
        state->accept_tasks.push_back(create_task(accept_loop(state, *listener), "accept " + listener->address.to_string()).ref());
    }
    state->serving = true;
    co_return Server(std::move(state));
}

Server::~Server() { close(); }

void Server::close() noexcept {
    if (!m_state || !m_state->serving) return;
    m_state->serving = false;
    for (TaskRef& task : m_state->accept_tasks) task.cancel();
    for (auto& listener : m_state->listeners) listener->close();
    m_state->closed.set();
}

Task<> Server::wait_closed() {
    auto state = m_state;
    co_await state->closed.wait();
    std::vector<detail::TaskState*> accepting;
    for (TaskRef& task : state->accept_tasks) accepting.push_back(task.state());
    {
        detail::TaskSetWait accept_tasks_done(accepting, false);
        co_await accept_tasks_done;
    }
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
