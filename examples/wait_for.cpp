// A slow operation cancelled by wait_for: the task sees CancelledError, cleans up, and the
// caller gets TimeoutError.
#include <asyncio/asyncio.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

asyncio::Task<int> slow_sensor_read() {
    try {
        co_await asyncio::sleep(10s);
        co_return 42;
    } catch (const asyncio::CancelledError&) {
        std::printf("slow_sensor_read: cancelled, cleaning up\n");
        throw;
    }
}

asyncio::Task<> main_task() {
    try {
        int value = co_await asyncio::wait_for(slow_sensor_read(), 500ms);
        std::printf("got %d\n", value);
    } catch (const asyncio::TimeoutError&) {
        std::printf("timed out after 0.5 s\n");
    }
}

int main() { asyncio::run(main_task()); }
