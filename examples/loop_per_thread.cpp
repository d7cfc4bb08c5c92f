// One event loop per thread (per core), all serving one port: each loop has its own SO_REUSEPORT
// listener (ListenOptions::reuse_port, Python's start_server(reuse_port=True)) and the kernel
// spreads new connections across them. Each loop owns its state; nothing a request touches is
// shared, so the hot path takes no lock. Work crosses loops only through the loop's thread-safe
// door: EventLoop::call_soon_threadsafe() (here: loop 0's ticks, copied into every loop's state)
// and ThreadSafeFlag (here: the stop signal). docs/DESIGN.md, "One loop per core".
//
//   example_loop_per_thread [PORT] [THREADS] [SECONDS]   (defaults 8082, one per core, 0 = until Ctrl-C)
//   printf 'hello\n' | nc 127.0.0.1 8082                  "loop 1: hello (3rd here, latest tick 7)"

#include <asyncio/asyncio.hpp>

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// What one loop owns: read and written by its own thread only, so without locks.
struct LoopState {
    std::size_t index = 0;
    std::uint64_t served = 0;
    std::uint64_t latest_tick = 0;      ///< copied in by loop 0 through call_soon_threadsafe
    asyncio::ThreadSafeFlag stop;       ///< set by the main thread
};

/// Answers each line with which loop served it: the loop's own counters, no lock.
asyncio::Task<> handle(LoopState* state, asyncio::Stream stream) {
    for (;;) {
        std::string line = co_await stream.readline();
        if (line.empty()) break;
        ++state->served;
        if (line.back() == '\n') line.pop_back();
        stream.write("loop " + std::to_string(state->index) + ": " + line + " (" + std::to_string(state->served) +
                     " here, latest tick " + std::to_string(state->latest_tick) + ")\n");
        co_await stream.drain();
    }
}

/// Loop 0's extra job: a tick every second, handed to every loop. The value is copied into the
/// callback, which runs on the receiving loop's thread and writes that loop's own state.
asyncio::Task<> tick(std::vector<std::unique_ptr<asyncio::EventLoop>>* loops,
                     std::vector<std::unique_ptr<LoopState>>* states) {
    for (std::uint64_t n = 1;; ++n) {
        co_await asyncio::sleep(1s);
        (*states)[0]->latest_tick = n;
        for (std::size_t k = 1; k < loops->size(); ++k) {
            LoopState* state = (*states)[k].get();
            (*loops)[k]->call_soon_threadsafe([state, n] { state->latest_tick = n; });
        }
    }
}

/// One loop's main task: listen with SO_REUSEPORT, say which port, serve until told to stop.
asyncio::Task<> serve(LoopState* state, std::uint16_t port, std::promise<std::uint16_t>* listening,
                      std::vector<std::unique_ptr<asyncio::EventLoop>>* loops,
                      std::vector<std::unique_ptr<LoopState>>* states) {
    asyncio::ListenOptions listen;
    listen.reuse_port = true;  // every loop's listener must ask for it
    asyncio::Server server =
        co_await asyncio::start_server(std::bind_front(&handle, state), "127.0.0.1", port, listen);
    listening->set_value(server.port());
    std::optional<asyncio::Task<>> ticking;
    if (state->index == 0) ticking = asyncio::create_task(tick(loops, states), "tick");
    co_await state->stop.wait();
    if (ticking) {
        ticking->cancel();
        try {
            co_await *ticking;
        } catch (const asyncio::CancelledError&) {
        }
    }
    server.close();
    server.close_clients();
    co_await server.wait_closed();
}

}  // namespace

int main(int argc, char** argv) {
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8082);
    const unsigned cores = std::thread::hardware_concurrency();
    const std::size_t threads = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : (cores == 0 ? 1 : cores);
    const int seconds = argc > 3 ? std::atoi(argv[3]) : 0;
    if (threads == 0 || threads > 256) {
        std::fprintf(stderr, "THREADS: 1 to 256\n");
        return 2;
    }
    // SIGINT is taken by sigwait() below: blocked here, in every thread started from here.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    // The loops are made here and outlive every thread, so any thread may post to any of them.
    std::vector<std::unique_ptr<asyncio::EventLoop>> loops;
    std::vector<std::unique_ptr<LoopState>> states;
    for (std::size_t k = 0; k < threads; ++k) {
        loops.push_back(std::make_unique<asyncio::EventLoop>());
        states.push_back(std::make_unique<LoopState>());
        states.back()->index = k;
    }
    std::vector<std::thread> running;
    std::uint16_t shared_port = port;
    for (std::size_t k = 0; k < threads; ++k) {
        std::promise<std::uint16_t> listening;
        std::future<std::uint16_t> bound = listening.get_future();
        running.emplace_back([&loops, &states, k, first = shared_port, listening = std::move(listening)]() mutable {
            try {
                loops[k]->run_until_complete(serve(states[k].get(), first, &listening, &loops, &states));
            } catch (const std::exception& error) {
                std::fprintf(stderr, "loop %zu: %s\n", k, error.what());
                std::exit(1);
            }
        });
        shared_port = bound.get();  // loop 0 may have picked the port (0): the others take it
    }
    std::printf("serving 127.0.0.1:%u on %zu loops\n", shared_port, threads);
    std::fflush(stdout);

    if (seconds > 0) {
        timespec limit{seconds, 0};
        (void)sigtimedwait(&stop_signals, nullptr, &limit);
    } else {
        int received = 0;
        (void)sigwait(&stop_signals, &received);
    }
    for (auto& state : states) state->stop.set();
    for (std::thread& thread : running) thread.join();
    for (const auto& state : states) std::printf("loop %zu served %llu lines\n", state->index,
                                                  static_cast<unsigned long long>(state->served));
    return 0;
}
