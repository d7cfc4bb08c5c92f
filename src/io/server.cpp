#include <asyncio/io/server.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/io/detail/resolve_host.hpp>
#include <asyncio/io/detail/socket_ops.hpp>
#include <asyncio/io/poller.hpp>

#include "accept_shedding.hpp"
#include "server_state.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <system_error>

namespace asyncio {

namespace {
/// Connections accepted in one go before other tasks get a turn.
constexpr int kAcceptBatch = 64;
/// Backing off, the server looks this often whether one of its connections has ended.
constexpr auto kBackoffSlice = std::chrono::milliseconds(10);

/// `peer` comes from accept() (no getpeername() per connection) and is formatted only to report.
Task<> serve_client(std::shared_ptr<Server::State> state, Stream stream, Address peer) {
    try {
        co_await state->callback(std::move(stream));
    } catch (const CancelledError&) {
        throw;  // close_clients() or the loop shutting down: not a failure of the handler
    } catch (...) {
        detail::report("connection handler for " + peer.to_string() + " failed: " +
                       detail::describe(std::current_exception()));
    }
    state->connection_ended = true;  // the stream, so its socket, died with the callback's frame
}

void start_client(const std::shared_ptr<Server::State>& state, int fd, const Address& peer) {
    try {
        Stream stream(detail::NonBlockingSocket{fd});  // accept4 made it non-blocking
        detail::set_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);  // responses go out at once
        // Named after its peer, so that /debug/tasks-style listings and the loop's longest-step
        // and stall reports say which connection it was ("connection 127.0.0.1:51234").
        (void)state->clients.create_task(serve_client(state, std::move(stream), peer),
                                         "connection " + peer.to_string());
    } catch (const std::exception& error) {
        // The Stream closed the socket (a FIN, or a reset if the client had sent something).
        detail::report(std::string("could not start a connection handler: ") + error.what());
    }
}

enum class Round {
    drained,             ///< the backlog is empty: wait until the listener is readable
    more_waiting,        ///< a batch was accepted: let other tasks run, then go on
    short_of_resources,  ///< back off before trying again
};

/// Accepts (or sheds) up to kAcceptBatch waiting connections.
Round accept_round(const std::shared_ptr<Server::State>& state, Listener& listener, Shortage& shortage) {
    for (int attempt = 0; attempt < kAcceptBatch; ++attempt) {
        Address peer;
        const detail::IoResult result = listener.io.accept(&peer);
        if (result.error == 0) {
            shortage.end();
            ++state->stats.accepted;
            start_client(state, static_cast<int>(result.value), peer);
            continue;
        }
        if (result.would_block()) {
            listener.io.not_readable();
            shortage.end();
            return Round::drained;
        }
        if (is_transient(result.error)) continue;
        // Out of descriptors or memory (or worse): retrying at once would spin. The connection
        // stays in the kernel's backlog, unless the shortage has lasted: then it is shed.
        shortage.note(result.error, listener);
        if (!is_descriptor_shortage(result.error) || !shortage.shedding_due()) return Round::short_of_resources;
        if (!shortage.others_ran) {
            // Before shedding, the ready tasks run once: connections that ended in the same
            // poll round close their sockets there, and this newcomer then gets a descriptor.
            shortage.others_ran = true;
            return Round::more_waiting;
        }
        const Shed shed = shed_one(*state, listener);
        if (shed == Shed::impossible) return Round::short_of_resources;
        if (shed == Shed::none_waiting) {
            listener.io.not_readable();
            shortage.end();  // whoever comes next gets kShedAfter too
            return Round::drained;
        }
    }
    return Round::more_waiting;
}

/// Counts an accept task in Server::State::accepting for as long as its coroutine frame lives.
/// It is a parameter of the coroutine, not a local: a task closed before its first step never
/// enters its body, and its frame's parameters are all that is destroyed then. It holds the
/// state itself, whatever order the frame's other parameters go in.
class AcceptingCount {
public:
    explicit AcceptingCount(std::shared_ptr<Server::State> state) noexcept : m_state(std::move(state)) {
        ++m_state->accepting;
    }
    AcceptingCount(AcceptingCount&&) noexcept = default;
    AcceptingCount& operator=(AcceptingCount&&) = delete;
    ~AcceptingCount() {
        if (m_state && --m_state->accepting == 0) m_state->accept_done.set();
    }

private:
    std::shared_ptr<Server::State> m_state;
};

Task<> accept_loop(std::shared_ptr<Server::State> state, Listener& listener, AcceptingCount /*counted*/) {
    Shortage shortage;
    for (;;) {
        co_await listener.io.wait_readable();
        const Round round = accept_round(state, listener, shortage);
        if (round == Round::short_of_resources) {
            // Wait kAcceptBackoff, or less once one of the server's own connections has ended
            // (its descriptor is free again). Short sleeps, because a sleep allocates nothing (a
            // call_later() timer would, at every retry, while memory may be what is short); ten
            // wake-ups of a few microseconds per 100 ms cost nothing. The listener stays
            // "readable" (edge-triggered epoll would not tell again), so accept() is retried next.
            ++state->stats.backoffs;
            state->connection_ended = false;
            for (auto waited = Duration::zero(); waited < kAcceptBackoff && !state->connection_ended;
                 waited += kBackoffSlice) {
                co_await sleep(kBackoffSlice);
            }
        } else {
            co_await sleep(0);
        }
    }
}

/// SO_REUSEPORT on `fd`, or std::system_error saying that the platform lacks it (never a
/// listener silently without it: a second one would then fail, or worse, not share the port).
void share_port(int fd, const Address& address) {
    const detail::IoResult shared = detail::set_reuse_port(fd);
    if (shared.error == 0) return;
    detail::close_socket(fd);
    const bool missing = shared.error == ENOPROTOOPT || shared.error == EINVAL || shared.error == EOPNOTSUPP;
    throw std::system_error(shared.error, std::system_category(),
                            missing ? "reuse_port: this platform has no SO_REUSEPORT, so " + address.to_string() +
                                          " cannot be shared"
                                    : "reuse_port: setsockopt(SO_REUSEPORT) on " + address.to_string());
}

void listen_on(Server::State& state, const Address& address, const ListenOptions& options) {
    const detail::IoResult opened = detail::open_socket(address.family(), SOCK_STREAM);
    if (opened.error != 0) detail::throw_error(opened.error, "socket");
    const int fd = static_cast<int>(opened.value);
    if (options.reuse_port) share_port(fd, address);
    const detail::IoResult listening = detail::bind_and_listen(fd, address, options.backlog);
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

/// `address` with `port` in place of its own.
Address with_port(const Address& address, std::uint16_t port) {
    auto numeric = detail::resolve_numeric(address.host(), port);
    return numeric.empty() ? address : numeric.front();
}

}  // namespace

Task<Server> start_server(Server::Callback callback, std::string host, std::uint16_t port, int backlog) {
    ListenOptions options;
    options.backlog = backlog;
    return start_server(std::move(callback), std::move(host), port, options);
}

Task<Server> start_server(Server::Callback callback, std::string host, std::uint16_t port, ListenOptions options) {
    auto state = std::make_shared<Server::State>(std::move(callback));
    std::vector<Address> addresses = co_await detail::resolve_tcp_host(std::move(host), port, detail::HostUse::listen);
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
            listen_on(*state, with_port(address, chosen), options);
        } catch (const std::system_error& error) {
            // A name with several addresses, one of a family this host lacks (IPv6 switched off):
            // serve on the others, as CPython does. Any other failure is the caller's to see.
            const int code = error.code().value();
            if (unique.size() == 1 || (code != EAFNOSUPPORT && code != EADDRNOTAVAIL)) throw;
            skipped = std::current_exception();
        }
    }
    if (state->listeners.empty() && skipped) std::rethrow_exception(skipped);
    if (!state->listeners.empty()) state->reserve_family = state->listeners.front()->address.family();
    state->reserve.take(state->reserve_family);
    for (auto& listener : state->listeners) {
        state->accept_tasks.push_back(create_task(accept_loop(state, *listener, AcceptingCount(state)),
                                                  "accept " + listener->address.to_string())
                                          .ref());
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
    m_state->reserve.release();
    m_state->closed.set();
}

Task<> Server::wait_closed() {
    auto state = m_state;
    if (!state) detail::fail<InvalidStateError>("wait_closed() on a Server that was never started");
    co_await state->closed.wait();
    if (state->accepting > 0) co_await state->accept_done.wait();
    co_await state->clients.wait();
}

Task<> Server::serve_forever() {
    auto state = m_state;
    if (!state) detail::fail<InvalidStateError>("serve_forever() on a Server that was never started");
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

AcceptStats Server::accept_stats() const noexcept { return m_state ? m_state->stats : AcceptStats{}; }

void Server::set_refusal_message(std::string message) {
    if (m_state) m_state->refusal = std::move(message);
}

}  // namespace asyncio
