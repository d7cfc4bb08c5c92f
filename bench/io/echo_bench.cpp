// Echo throughput through one TCP connection on 127.0.0.1: an asyncio Stream echo server against a
// plain blocking-socket copy loop, measured in the same run with the same blocking client (one
// thread sends, one receives, 64 KiB at a time). Bytes/s counts the bytes echoed (one direction).
//
//   build/bench/echo_bench --benchmark_repetitions=9 --benchmark_enable_random_interleaving=true
//                          --benchmark_report_aggregates_only=true
//
// server_cpu_ms_per_GiB is the server thread's CPU time per GiB echoed: unlike bytes/s it does not
// move with other load on the machine.
//
// Servers:
//   Blocking      recv() into a 64 KiB buffer, send() it back; one thread.
//   AsyncioInPlace  receive() / buffered() / write() / consume() / drain(): the allocation-free API.
//   AsyncioRead     read(64 KiB) / write() / drain(): the asyncio-style API (a string per chunk).
#include <asyncio/asyncio.hpp>

#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kBytesPerIteration = 64 * 1024 * 1024;

int listen_loopback(std::uint16_t* port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd, 16) != 0) {
        throw std::runtime_error("listen");
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    *port = ntohs(address.sin_port);
    return fd;
}

int connect_loopback(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("connect");
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool send_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// --- the servers, each on a thread of its own, serving one connection ---

/// The baseline: a blocking copy loop.
void blocking_server(int listener) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::vector<char> buffer(kChunk);
    for (;;) {
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n <= 0 || !send_all(fd, buffer.data(), static_cast<std::size_t>(n))) break;
    }
    ::close(fd);
}

asyncio::Task<> echo_in_place(asyncio::Stream stream) {
    // The received count is bound to a name, never tested inside the loop's condition: g++ 12
    // miscompiles a co_await in an if/while condition of a coroutine whose outermost block
    // declares no local variable (the frame gets a temporary ahead of its resume pointer).
    for (;;) {
        const std::size_t received = co_await stream.receive();
        if (received == 0) break;
        stream.write(stream.buffered());
        stream.consume(stream.buffered().size());
        co_await stream.drain();
    }
}

asyncio::Task<> echo_read(asyncio::Stream stream) {
    for (;;) {
        std::string data = co_await stream.read(kChunk);
        if (data.empty()) break;
        stream.write(std::move(data));
        co_await stream.drain();
    }
}

/// Runs `handler`, then tells the server's task that the connection is over.
asyncio::Task<> run_then_set(asyncio::Server::Callback handler, asyncio::Stream stream, asyncio::Event* done) {
    co_await handler(std::move(stream));
    done->set();
}

/// start_server with `handler`; reports the port, serves until the client's connection ends.
asyncio::Task<> asyncio_server(asyncio::Server::Callback handler, std::promise<std::uint16_t>* port) {
    asyncio::Event done;
    auto server = co_await asyncio::start_server(
        [&done, handler](asyncio::Stream stream) { return run_then_set(handler, std::move(stream), &done); },
        "127.0.0.1", 0);
    port->set_value(server.port());
    co_await done.wait();
    server.close();
    co_await server.wait_closed();
}

enum class ServerKind { blocking, in_place, read };

/// Runs one echo server on a thread; the destructor joins it (the client closes first).
class EchoServer {
public:
    explicit EchoServer(ServerKind kind) {
        if (kind == ServerKind::blocking) {
            std::uint16_t port = 0;
            const int listener = listen_loopback(&port);
            m_port = port;
            m_thread = std::thread([listener] {
                blocking_server(listener);
                ::close(listener);
            });
            return;
        }
        std::promise<std::uint16_t> port;
        auto future = port.get_future();
        asyncio::Server::Callback handler = kind == ServerKind::in_place ? asyncio::Server::Callback(echo_in_place)
                                                                         : asyncio::Server::Callback(echo_read);
        m_thread = std::thread([handler, promise = std::move(port)]() mutable {
            asyncio::run(asyncio_server(handler, &promise));
        });
        m_port = future.get();
    }
    EchoServer(const EchoServer&) = delete;
    EchoServer& operator=(const EchoServer&) = delete;
    ~EchoServer() { m_thread.join(); }
    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }
    /// CPU time the server's thread has used so far.
    [[nodiscard]] double cpu_seconds() {
        clockid_t clock{};
        timespec ts{};
        if (pthread_getcpuclockid(m_thread.native_handle(), &clock) != 0 || clock_gettime(clock, &ts) != 0) return 0;
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }

private:
    std::uint16_t m_port = 0;
    std::thread m_thread;
};

void BM_Echo(benchmark::State& state, ServerKind kind) {
    EchoServer server(kind);
    const int fd = connect_loopback(server.port());
    std::vector<char> out(kChunk, 'e');
    std::vector<char> in(kChunk);
    const double cpu_before = server.cpu_seconds();
    for (auto _ : state) {
        std::thread sender([&] {
            for (std::size_t sent = 0; sent < kBytesPerIteration; sent += kChunk) send_all(fd, out.data(), kChunk);
        });
        std::size_t received = 0;
        while (received < kBytesPerIteration) {
            const ssize_t n = ::recv(fd, in.data(), in.size(), 0);
            if (n <= 0) {
                state.SkipWithError("the connection ended early");
                break;
            }
            received += static_cast<std::size_t>(n);
        }
        sender.join();
    }
    const double cpu_used = server.cpu_seconds() - cpu_before;
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBytesPerIteration));
    // Load on the machine moves the wall-clock figure; the server's own CPU time per GiB does not.
    state.counters["server_cpu_ms_per_GiB"] =
        cpu_used * 1e3 / (static_cast<double>(state.iterations() * kBytesPerIteration) / (1u << 30));
    ::close(fd);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Echo, Blocking, ServerKind::blocking)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Echo, AsyncioInPlace, ServerKind::in_place)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Echo, AsyncioRead, ServerKind::read)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
