// GET /api/sensor over real keep-alive sockets on 127.0.0.1, through the real HttpServer and
// sensor-server's own routes, with a counting allocator: the figure that matters is
// `server_allocs_per_req`, the heap allocations the server's thread makes per request once the
// connection is established (target: 0).
//
//   build/bench/keepalive_bench                       # all cases
//   build/bench/keepalive_bench --benchmark_filter=KeepAlive/1$
//
// Cases (each a fresh server on its own thread; the client is this thread, blocking sockets):
//   KeepAlive/N   N connections, one request on each in turn, every response read before the
//                 next round (the lock-step client of run.py's callgrind part).
//   Pipelined/D   one connection, D requests per write, then all D responses read.
// Counters: server_allocs_per_req and server_bytes_per_req (operator new calls and coroutine
// frames, and their bytes, on the server's thread, divided by the requests of the timed loop), client_allocs (must be 0: the
// client does not allocate, so nothing else hides in the figure) and server_cpu_us_per_req (the
// server thread's CPU time; moves less with the machine's load than the wall-clock figure).
#include "app.hpp"
#include "network_info.hpp"
#include "sensors.hpp"

#include <asyncio/asyncio.hpp>
#include <asyncio/core/frame_allocator.hpp>

#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

// --- the counting allocator: every operator new and coroutine frame of this program goes
//     through here ---

namespace {
std::atomic<std::uint64_t> g_server_allocations{0};
std::atomic<std::uint64_t> g_server_bytes{0};
std::atomic<std::uint64_t> g_client_allocations{0};
thread_local bool t_is_server = false;
thread_local bool t_is_client = false;

void count(std::size_t size) noexcept {
    if (t_is_server) {
        g_server_allocations.fetch_add(1, std::memory_order_relaxed);
        g_server_bytes.fetch_add(size, std::memory_order_relaxed);
    } else if (t_is_client) {
        g_client_allocations.fetch_add(1, std::memory_order_relaxed);
    }
}

void* allocate(std::size_t size) {
    count(size);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}

void* allocate_aligned(std::size_t size, std::align_val_t alignment) {
    count(size);
    const auto align = static_cast<std::size_t>(alignment);
    if (void* p = std::aligned_alloc(align, (size + align - 1) / align * align)) return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    count(size);
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    count(size);
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new(std::size_t size, std::align_val_t alignment) { return allocate_aligned(size, alignment); }
void* operator new[](std::size_t size, std::align_val_t alignment) { return allocate_aligned(size, alignment); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

/// Coroutine frames come from malloc, not operator new (frame_allocator.hpp): counted here.
class CountingFrameAllocator final : public asyncio::FrameAllocator {
public:
    void* allocate(std::size_t size) noexcept override {
        count(size);
        return std::malloc(size);
    }
    void deallocate(void* frame, std::size_t) noexcept override { std::free(frame); }
};
CountingFrameAllocator g_frame_allocator;
// Installed before main(), while no task exists (as set_frame_allocator requires).
const bool g_frames_counted = (asyncio::set_frame_allocator(&g_frame_allocator), true);

using namespace sensor_server;

// --- the client: blocking sockets, no allocation inside the timed loop ---

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

bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

/// Reads exactly `size` bytes into `buffer`; false if the connection ended first.
bool receive_exactly(int fd, char* buffer, std::size_t size) {
    std::size_t received = 0;
    while (received < size) {
        const ssize_t n = ::recv(fd, buffer + received, size - received, 0);
        if (n <= 0) return false;
        received += static_cast<std::size_t>(n);
    }
    return true;
}

/// The length of one complete response, learnt from the first one (the JSON body has a fixed
/// length with a fixed sensor, and the Date header always has 29 characters).
std::size_t response_length(int fd, std::string_view request) {
    if (!send_all(fd, request)) throw std::runtime_error("send");
    std::string seen;
    char chunk[4096];
    for (;;) {
        const std::size_t head_end = seen.find("\r\n\r\n");
        if (head_end != std::string::npos) {
            const std::size_t at = seen.find("Content-Length: ");
            if (at == std::string::npos) throw std::runtime_error("no Content-Length");
            const std::size_t total = head_end + 4 + std::stoul(seen.substr(at + 16));
            if (seen.size() >= total) {
                if (seen.size() > total) throw std::runtime_error("more than one response");
                if (seen.compare(0, 15, "HTTP/1.1 200 OK") != 0) throw std::runtime_error("not 200: " + seen);
                return total;
            }
        }
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) throw std::runtime_error("connection ended before the first response");
        seen.append(chunk, static_cast<std::size_t>(n));
    }
}

// --- the server: sensor-server's App and HttpServer on a thread of their own ---

asyncio::Task<> serve(std::promise<std::pair<std::uint16_t, asyncio::EventLoop*>>* started,
                      asyncio::Event* stop) {
    Options options;
    options.sensor = "fixed:21.5";
    Sampler sampler(make_sensor(options.sensor), std::chrono::seconds(1), options.history);
    sampler.sample_once();
    App app(options, sampler, NetworkInfo{});
    http::HttpServer server(app.router());
    app.attach(server);
    co_await server.start("127.0.0.1", 0);
    started->set_value({server.port(), &asyncio::get_event_loop()});
    co_await stop->wait();
    app.end_live_streams();
    server.close();
    co_await server.wait_closed();
}

class SensorServerThread {
public:
    SensorServerThread() {
        std::promise<std::pair<std::uint16_t, asyncio::EventLoop*>> started;
        auto future = started.get_future();
        m_thread = std::thread([this, promise = std::move(started)]() mutable {
            t_is_server = true;
            asyncio::run(serve(&promise, &m_stop));
        });
        const auto [port, loop] = future.get();
        m_port = port;
        m_loop = loop;
    }
    SensorServerThread(const SensorServerThread&) = delete;
    SensorServerThread& operator=(const SensorServerThread&) = delete;
    ~SensorServerThread() {
        asyncio::Event* stop = &m_stop;
        m_loop->call_soon_threadsafe([stop] { stop->set(); });
        m_thread.join();
    }
    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }
    [[nodiscard]] double cpu_seconds() {
        clockid_t clock{};
        timespec ts{};
        if (pthread_getcpuclockid(m_thread.native_handle(), &clock) != 0 || clock_gettime(clock, &ts) != 0) return 0;
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }

private:
    asyncio::Event m_stop;
    asyncio::EventLoop* m_loop = nullptr;
    std::uint16_t m_port = 0;
    std::thread m_thread;
};

/// Counts over the timed loop, turned into per-request counters.
class AllocationWindow {
public:
    explicit AllocationWindow(SensorServerThread& server)
        : m_server(server),
          m_allocations(g_server_allocations.load()),
          m_bytes(g_server_bytes.load()),
          m_client(g_client_allocations.load()),
          m_cpu(server.cpu_seconds()) {}
    void report(benchmark::State& state, std::uint64_t requests) {
        const auto per_request = [requests](double value) { return value / static_cast<double>(requests); };
        state.counters["server_allocs_per_req"] = per_request(static_cast<double>(g_server_allocations.load() - m_allocations));
        state.counters["server_bytes_per_req"] = per_request(static_cast<double>(g_server_bytes.load() - m_bytes));
        state.counters["client_allocs"] = static_cast<double>(g_client_allocations.load() - m_client);
        state.counters["server_cpu_us_per_req"] = per_request((m_server.cpu_seconds() - m_cpu) * 1e6);
        state.SetItemsProcessed(static_cast<std::int64_t>(requests));
    }

private:
    SensorServerThread& m_server;
    std::uint64_t m_allocations;
    std::uint64_t m_bytes;
    std::uint64_t m_client;
    double m_cpu;
};

const std::string& sensor_request() {
    static const std::string request = "GET /api/sensor HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n\r\n";
    return request;
}

void BM_KeepAlive(benchmark::State& state) {
    SensorServerThread server;
    const auto connections = static_cast<std::size_t>(state.range(0));
    std::vector<int> fds;
    std::size_t length = 0;
    for (std::size_t i = 0; i < connections; ++i) {
        fds.push_back(connect_loopback(server.port()));
        length = response_length(fds.back(), sensor_request());  // connection set up, first request done
    }
    std::vector<char> response(length);
    const std::string_view request = sensor_request();
    for (int round = 0; round < 3; ++round) {  // warm-up: free lists filled, buffers grown
        for (const int fd : fds) send_all(fd, request);
        for (const int fd : fds) receive_exactly(fd, response.data(), length);
    }
    t_is_client = true;
    AllocationWindow window(server);
    for (auto _ : state) {
        for (const int fd : fds) {
            if (!send_all(fd, request)) state.SkipWithError("send failed");
        }
        for (const int fd : fds) {
            if (!receive_exactly(fd, response.data(), length)) state.SkipWithError("the connection ended");
        }
    }
    t_is_client = false;
    window.report(state, state.iterations() * connections);
    for (const int fd : fds) ::close(fd);
}

void BM_Pipelined(benchmark::State& state) {
    SensorServerThread server;
    const auto depth = static_cast<std::size_t>(state.range(0));
    const int fd = connect_loopback(server.port());
    const std::size_t length = response_length(fd, sensor_request());
    std::string batch;
    for (std::size_t i = 0; i < depth; ++i) batch += sensor_request();
    std::vector<char> responses(length * depth);
    for (int round = 0; round < 3; ++round) {  // warm-up: free lists filled, buffers grown
        send_all(fd, batch);
        receive_exactly(fd, responses.data(), responses.size());
    }
    t_is_client = true;
    AllocationWindow window(server);
    for (auto _ : state) {
        if (!send_all(fd, batch)) state.SkipWithError("send failed");
        if (!receive_exactly(fd, responses.data(), responses.size())) state.SkipWithError("the connection ended");
    }
    t_is_client = false;
    window.report(state, state.iterations() * depth);
    ::close(fd);
}

}  // namespace

BENCHMARK(BM_KeepAlive)->Arg(1)->Arg(50)->UseRealTime();
BENCHMARK(BM_Pipelined)->Arg(16)->UseRealTime();

BENCHMARK_MAIN();
