// Links asyncio::core alone: no io, no sockets. The core declares make_default_platform() and
// platform_report() and leaves them to whoever supplies the platform (docs/DESIGN.md, "Layers");
// here this program does, as a microcontroller port would: a VirtualClock and stderr.
#include <asyncio/core/platform.hpp>
#include <asyncio/core/queue.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/virtual_clock.hpp>

#include <chrono>
#include <cstdio>
#include <memory>

using namespace std::chrono_literals;

std::unique_ptr<asyncio::Platform> asyncio::make_default_platform() {
    return std::make_unique<asyncio::VirtualClock>();
}

void asyncio::platform_report(const char* message) noexcept {
    std::fprintf(stderr, "asyncio: %s\n", message);
}

asyncio::Task<> produce(asyncio::Queue<int>& queue) {
    for (int i = 1; i <= 3; ++i) {
        co_await asyncio::sleep(1h);  // virtual time: no real waiting
        co_await queue.put(i);
    }
}

asyncio::Task<int> main_task() {
    asyncio::Queue<int> queue(1);
    auto producer = asyncio::create_task(produce(queue));
    int sum = 0;
    for (int i = 0; i < 3; ++i) sum += co_await queue.get();
    co_await producer;
    co_return sum == 6 ? 0 : 1;
}

int main() {
    const int status = asyncio::run(main_task());
    std::puts(status == 0 ? "core_only: ok" : "core_only: FAILED");
    return status;
}
