// Connections accepted and closed per second by an asyncio server on 127.0.0.1. The handler closes
// the connection at once; a blocking client connects, reads until EOF, closes, and starts again.
//
// Three ways to run it:
//   accept_bench                      Google Benchmark: server thread + client threads in-process
//   accept_bench --serve              the server alone: prints its port, runs until SIGTERM/SIGINT
//   accept_bench --client PORT SECONDS THREADS
//                                     the client alone, against any server; prints
//                                     "connections=N seconds=S rate=R errors=E"
// bench/io/accept_bench.py uses the last two to compare this server with CPython asyncio's, both
// driven by this same client.
#include <asyncio/asyncio.hpp>

#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace {

asyncio::Task<> close_at_once(asyncio::Stream stream) {
    stream.close();
    co_await stream.wait_closed();
}

/// One connection: connect, read until the server's EOF, close. False on any failure.
bool one_connection(const sockaddr_in& address) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    char byte;
    while (ok) {
        const ssize_t n = ::recv(fd, &byte, 1, 0);
        if (n == 0) break;
        if (n < 0) ok = false;
    }
    // The server closed first, so its side would sit in TIME_WAIT for a minute; tens of thousands
    // of those slow every later connect() down. A reset (linger 0) ends both sides at once.
    const linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(fd);
    return ok;
}

struct ClientResult {
    std::uint64_t connections = 0;
    std::uint64_t errors = 0;
    double seconds = 0;
};

/// `threads` blocking clients for `duration`.
ClientResult run_clients(std::uint16_t port, std::chrono::duration<double> duration, int threads) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> errors{0};
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(duration);
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) {
        workers.emplace_back([&] {
            std::uint64_t done = 0;
            std::uint64_t failed = 0;
            while (std::chrono::steady_clock::now() < deadline) {
                if (one_connection(address)) ++done;
                else ++failed;
            }
            connections += done;
            errors += failed;
        });
    }
    for (auto& worker : workers) worker.join();
    ClientResult result;
    result.connections = connections;
    result.errors = errors;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

// --- the server ---

asyncio::Task<> serve(std::promise<std::uint16_t>* port, asyncio::ThreadSafeFlag* stop) {
    auto server = co_await asyncio::start_server(close_at_once, "127.0.0.1", 0);
    if (port != nullptr) port->set_value(server.port());
    if (stop != nullptr) {
        co_await stop->wait();
        server.close();
    } else {
        std::printf("%u\n", server.port());
        std::fflush(stdout);
        asyncio::add_signal_handler(SIGTERM, [&server] { server.close(); });
        asyncio::add_signal_handler(SIGINT, [&server] { server.close(); });
        co_await server.serve_forever();
    }
    co_await server.wait_closed();
}

void BM_AcceptClose(benchmark::State& state) {
    std::promise<std::uint16_t> port;
    auto future = port.get_future();
    asyncio::ThreadSafeFlag stop;
    std::thread server([&] { asyncio::run(serve(&port, &stop)); });
    const std::uint16_t listening = future.get();
    std::uint64_t total = 0;
    for (auto _ : state) {
        const ClientResult result = run_clients(listening, std::chrono::milliseconds(500), static_cast<int>(state.range(0)));
        total += result.connections;
        if (result.errors != 0) state.SkipWithError("connection errors");
    }
    stop.set();
    server.join();
    state.counters["conn_per_s"] = benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AcceptClose)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(4);

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "--serve") == 0) {
        asyncio::run(serve(nullptr, nullptr));
        return 0;
    }
    if (argc >= 2 && std::strcmp(argv[1], "--client") == 0) {
        if (argc != 5) {
            std::fprintf(stderr, "usage: %s --client PORT SECONDS THREADS\n", argv[0]);
            return 2;
        }
        const auto result = run_clients(static_cast<std::uint16_t>(std::atoi(argv[2])),
                                        std::chrono::duration<double>(std::atof(argv[3])), std::atoi(argv[4]));
        std::printf("connections=%llu seconds=%.3f rate=%.1f errors=%llu\n",
                    static_cast<unsigned long long>(result.connections), result.seconds,
                    static_cast<double>(result.connections) / result.seconds,
                    static_cast<unsigned long long>(result.errors));
        return 0;
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
