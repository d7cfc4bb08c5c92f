#include "socket_table.hpp"

#include <lwip/pbuf.h>
#include <lwip/tcp.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace asyncio::detail::lwip {

namespace {

std::array<Socket, kMaxSockets> g_sockets;
bool g_activity = false;
std::size_t g_refused = 0;

void notify(Socket& socket, bool readable, bool writable) noexcept {
    g_activity = true;
    if (socket.handle != nullptr) socket.handle->on_events(readable, writable, socket.peer_closed, socket.pcb == nullptr);
}

/// Received data is kept in a buffer of at most this capacity while it is read; a larger one
/// (a burst of a whole window) is given back once read.
constexpr std::size_t kKeepReceiveCapacity = 2 * 1024;

void free_received(Socket& socket) noexcept {
    std::string().swap(socket.received);
    socket.received_start = 0;
}

/// Stops every callback of `pcb` from reaching the socket (lwIP keeps a closed pcb for a while,
/// and an abort of it later would call the err callback with a stale argument).
void detach_callbacks(tcp_pcb* pcb) noexcept {
    tcp_arg(pcb, nullptr);
    tcp_recv(pcb, nullptr);
    tcp_sent(pcb, nullptr);
    tcp_err(pcb, nullptr);
    tcp_poll(pcb, nullptr, 0);
}

// --- lwIP's callbacks of a connection; `arg` is its Socket ---

err_t on_received(void* arg, tcp_pcb* /*pcb*/, pbuf* p, err_t /*err*/) {
    auto& socket = *static_cast<Socket*>(arg);
    if (p == nullptr) {
        socket.peer_closed = true;
    } else {
        try {
            socket.received.erase(0, std::exchange(socket.received_start, 0));  // drop what was read
            const std::size_t old_size = socket.received.size();
            socket.received.resize(old_size + p->tot_len);
            pbuf_copy_partial(p, socket.received.data() + old_size, p->tot_len, 0);
        } catch (...) {
            return ERR_MEM;  // out of heap: lwIP keeps `p` and delivers it again from its timer
        }
        pbuf_free(p);
    }
    notify(socket, true, false);
    return ERR_OK;
}

/// Acknowledged data left lwIP's heap: this socket may send more, and so may every socket whose
/// last send found that heap full (it is shared by all connections).
err_t on_sent(void* arg, tcp_pcb* /*pcb*/, u16_t /*length*/) {
    notify(*static_cast<Socket*>(arg), false, true);
    for (Socket& starved : g_sockets) {
        if (starved.write_starved) {
            starved.write_starved = false;
            notify(starved, false, true);
        }
    }
    return ERR_OK;
}

/// Every 2 s while the connection lives: a writer that waits although nothing is in flight (the
/// heap was short when it tried) gets another chance even if no connection's data is acknowledged.
err_t on_poll(void* arg, tcp_pcb* /*pcb*/) {
    auto& socket = *static_cast<Socket*>(arg);
    if (socket.handle != nullptr && socket.handle->wants_write()) notify(socket, false, true);
    return ERR_OK;
}

/// lwIP has freed the pcb already (reset, abort, retransmission time-out): never touch it.
/// What was received before is still read first, then the error reported (as Linux does: the
/// answer a server sends before its reset, such as a 413 or 431, is not lost); release() frees it.
void on_error(void* arg, err_t error) {
    auto& socket = *static_cast<Socket*>(arg);
    socket.pcb = nullptr;
    if (error == ERR_CLSD) {
        socket.peer_closed = true;  // both sides closed: only EOF is left to read
    } else if (socket.connecting) {
        socket.error = error == ERR_RST ? ECONNREFUSED : ETIMEDOUT;
    } else {
        socket.error = error == ERR_RST ? ECONNRESET : ECONNABORTED;
    }
    socket.connecting = false;
    notify(socket, true, true);
}

/// A listener's new connection: it gets a socket at once (data may arrive before the server
/// takes it) and waits in the listener's queue. With no room it is refused (a reset).
err_t on_accepted(void* arg, tcp_pcb* pcb, err_t error) {
    if (pcb == nullptr || error != ERR_OK) return ERR_VAL;  // lwIP had no pcb for it
    auto& listener = *static_cast<Socket*>(arg);
    const int fd = listener.pending_count < kMaxPending ? allocate() : -1;
    if (fd < 0) {
        ++g_refused;
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    attach_connection(*find(fd), pcb);
    tcp_backlog_delayed(pcb);  // counts against the listen backlog until accept() takes it
    listener.pending[(listener.pending_head + listener.pending_count) % kMaxPending] = static_cast<std::int16_t>(fd);
    ++listener.pending_count;
    notify(listener, true, false);
    return ERR_OK;
}

}  // namespace

Socket* find(int fd) noexcept {
    const int index = fd - kFirstDescriptor;
    if (index < 0 || static_cast<std::size_t>(index) >= kMaxSockets) return nullptr;
    Socket& socket = g_sockets[static_cast<std::size_t>(index)];
    return socket.kind == Socket::Kind::free ? nullptr : &socket;
}

int descriptor_of(const Socket& socket) noexcept { return static_cast<int>(&socket - g_sockets.data()) + kFirstDescriptor; }

int allocate() noexcept {
    for (Socket& socket : g_sockets) {
        if (socket.kind == Socket::Kind::free) {
            socket = Socket{};
            socket.kind = Socket::Kind::unbound;
            return descriptor_of(socket);
        }
    }
    return -1;
}

void release(int fd) noexcept {
    Socket* socket = find(fd);
    if (socket == nullptr) return;
    if (socket->kind == Socket::Kind::listener) {
        while (socket->pending_count > 0) release(take_pending(*socket));
        if (socket->pcb != nullptr) {
            tcp_arg(socket->pcb, nullptr);
            tcp_accept(socket->pcb, nullptr);
            tcp_close(socket->pcb);  // a listen pcb is freed at once
        }
    } else if (socket->pcb != nullptr) {
        detach_callbacks(socket->pcb);
        // With unread data lwIP (as a kernel) answers the close with a reset, not a FIN.
        if (tcp_close(socket->pcb) != ERR_OK) tcp_abort(socket->pcb);
    }
    free_received(*socket);
    *socket = Socket{};
}

void start_listening(Socket& socket, tcp_pcb* listen_pcb) noexcept {
    socket.kind = Socket::Kind::listener;
    socket.pcb = listen_pcb;
    tcp_arg(listen_pcb, &socket);
    tcp_accept(listen_pcb, &on_accepted);
}

int take_pending(Socket& listener) noexcept {
    while (listener.pending_count > 0) {
        const int fd = listener.pending[listener.pending_head];
        listener.pending_head = static_cast<std::uint8_t>((listener.pending_head + 1) % kMaxPending);
        --listener.pending_count;
        Socket* connection = find(fd);
        if (connection == nullptr) continue;
        if (connection->pcb != nullptr) tcp_backlog_accepted(connection->pcb);
        return fd;  // one reset meanwhile is still handed over: its first read reports it
    }
    return -1;
}

void attach_connection(Socket& socket, tcp_pcb* pcb) noexcept {
    socket.kind = Socket::Kind::connection;
    socket.pcb = pcb;
    tcp_arg(pcb, &socket);
    tcp_recv(pcb, &on_received);
    tcp_sent(pcb, &on_sent);
    tcp_err(pcb, &on_error);
    tcp_poll(pcb, &on_poll, 4);
}

namespace {
err_t on_connected(void* arg, tcp_pcb* /*pcb*/, err_t /*err*/) {
    auto& socket = *static_cast<Socket*>(arg);
    socket.connecting = false;
    notify(socket, false, true);
    return ERR_OK;
}

int errno_of(err_t error) noexcept {
    switch (error) {
    case ERR_OK: return 0;
    case ERR_MEM: case ERR_BUF: return ENOMEM;
    case ERR_USE: return EADDRINUSE;
    case ERR_ISCONN: return EISCONN;
    case ERR_RTE: return EHOSTUNREACH;
    case ERR_VAL: case ERR_ARG: return EINVAL;
    case ERR_RST: return ECONNRESET;
    case ERR_ABRT: return ECONNABORTED;
    default: return EIO;
    }
}
}  // namespace

int listen_on(Socket& socket, std::uint32_t address, std::uint16_t port, int backlog) noexcept {
    tcp_pcb* pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (pcb == nullptr) return ENOMEM;
    ip_set_option(pcb, SOF_REUSEADDR);  // as the hosted server does: TIME_WAIT does not block a restart
    ip_addr_t ip = IPADDR4_INIT(address);
    if (const err_t bound = tcp_bind(pcb, &ip, port); bound != ERR_OK) {
        tcp_close(pcb);
        return errno_of(bound);
    }
    err_t listened = ERR_OK;
    tcp_pcb* listener = tcp_listen_with_backlog_and_err(pcb, static_cast<u8_t>(std::clamp(backlog, 1, 255)), &listened);
    if (listener == nullptr) {
        tcp_close(pcb);
        return errno_of(listened);
    }
    start_listening(socket, listener);
    return 0;
}

int connect_to(Socket& socket, std::uint32_t address, std::uint16_t port) noexcept {
    tcp_pcb* pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (pcb == nullptr) return ENOMEM;
    attach_connection(socket, pcb);
    ip_addr_t ip = IPADDR4_INIT(address);
    socket.connecting = true;
    if (const err_t started = tcp_connect(pcb, &ip, port, &on_connected); started != ERR_OK) {
        socket.connecting = false;
        detach_callbacks(pcb);
        tcp_abort(pcb);
        socket.pcb = nullptr;
        socket.kind = Socket::Kind::unbound;
        return errno_of(started);
    }
    return EINPROGRESS;
}

int send_some(Socket& socket, const char* data, std::size_t size, std::size_t& sent) noexcept {
    sent = 0;
    if (socket.error != 0) return socket.error;
    if (socket.pcb == nullptr || socket.write_shut) return EPIPE;
    if (socket.connecting) return EAGAIN;
    const std::size_t queued = TCP_SND_BUF - tcp_sndbuf(socket.pcb);
    const std::size_t under_cap = socket.send_buffer_cap > queued ? socket.send_buffer_cap - queued : 0;
    std::size_t room = std::min<std::size_t>({size, tcp_sndbuf(socket.pcb), under_cap, 0xFFFF});
    if (room == 0 || tcp_sndqueuelen(socket.pcb) >= TCP_SND_QUEUELEN) return EAGAIN;
    err_t written = tcp_write(socket.pcb, data, static_cast<u16_t>(room), TCP_WRITE_FLAG_COPY);
    // Short of segments or heap for this much: a smaller piece may fit now.
    while (written == ERR_MEM && room > TCP_MSS) {
        room /= 2;
        written = tcp_write(socket.pcb, data, static_cast<u16_t>(room), TCP_WRITE_FLAG_COPY);
    }
    if (written == ERR_MEM) {
        socket.write_starved = true;  // any sent callback (or this pcb's poll) says when to try again
        return EAGAIN;
    }
    if (written != ERR_OK) return EPIPE;    // not connected any more (ERR_CONN)
    tcp_output(socket.pcb);
    sent = room;
    return 0;
}

int shut_down_sending(Socket& socket) noexcept {
    if (socket.pcb == nullptr) return ENOTCONN;
    socket.write_shut = true;
    return errno_of(tcp_shutdown(socket.pcb, 0, 1));
}

int set_no_delay(Socket& socket, bool enabled) noexcept {
    if (socket.kind != Socket::Kind::connection || socket.pcb == nullptr) return 0;
    if (enabled) tcp_nagle_disable(socket.pcb);
    else tcp_nagle_enable(socket.pcb);
    return 0;
}

int set_keepalive(Socket& socket, bool enabled) noexcept {
    if (socket.pcb == nullptr) return 0;
    if (enabled) ip_set_option(socket.pcb, SOF_KEEPALIVE);
    else ip_reset_option(socket.pcb, SOF_KEEPALIVE);
    return 0;
}

int set_send_buffer_cap(Socket& socket, std::size_t bytes) noexcept {
    // Below one segment every send would be split into runts; Linux has a floor as well.
    socket.send_buffer_cap = static_cast<std::uint32_t>(std::clamp<std::size_t>(bytes, TCP_MSS, UINT32_MAX));
    return 0;
}

Endpoint local_endpoint(const Socket& socket) noexcept {
    if (socket.pcb == nullptr) return {};
    return {ip4_addr_get_u32(ip_2_ip4(&socket.pcb->local_ip)), socket.pcb->local_port, true};
}

Endpoint peer_endpoint(const Socket& socket) noexcept {
    if (socket.pcb == nullptr || socket.kind != Socket::Kind::connection) return {};
    return {ip4_addr_get_u32(ip_2_ip4(&socket.pcb->remote_ip)), socket.pcb->remote_port, true};
}

std::size_t read_received(Socket& socket, char* buffer, std::size_t size) noexcept {
    const std::size_t copied = std::min(size, socket.received.size() - socket.received_start);
    if (copied == 0) return 0;
    std::memcpy(buffer, socket.received.data() + socket.received_start, copied);
    socket.received_start += copied;
    if (socket.received_start == socket.received.size()) {
        if (socket.received.capacity() > kKeepReceiveCapacity) std::string().swap(socket.received);
        socket.received.clear();
        socket.received_start = 0;
    }
    // The window reopens by what the application took (at most TCP_WND in all, so a u16_t).
    if (socket.pcb != nullptr) tcp_recved(socket.pcb, static_cast<u16_t>(copied));
    return copied;
}

bool take_activity() noexcept { return std::exchange(g_activity, false); }

std::size_t refused_count() noexcept { return g_refused; }

std::size_t in_use_count() noexcept {
    return static_cast<std::size_t>(std::count_if(g_sockets.begin(), g_sockets.end(),
                                                  [](const Socket& socket) { return socket.kind != Socket::Kind::free; }));
}

}  // namespace asyncio::detail::lwip
