// Structured concurrency as in CPython's `async with asyncio.TaskGroup() as group:`: three
// sensors read at once; one fails, so the group cancels the others and the body, waits for them,
// and raises an ExceptionGroup holding the failure. A timeout() scope then limits a second round.
#include <asyncio/asyncio.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

asyncio::Task<> read_sensor(std::string name, std::chrono::milliseconds takes, bool fails) {
    try {
        co_await asyncio::sleep(takes);
    } catch (const asyncio::CancelledError&) {
        std::printf("  %s: cancelled\n", name.c_str());
        throw;
    }
    if (fails) throw std::runtime_error(name + ": no answer on the bus");
    std::printf("  %s: read\n", name.c_str());
}

asyncio::Task<> main_task() {
    std::printf("one round, one sensor failing:\n");
    try {
        co_await asyncio::task_group([](asyncio::TaskGroup& group) -> asyncio::Task<> {
            group.create_task(read_sensor("temperature", 10ms, false));
            group.create_task(read_sensor("humidity", 20ms, true));
            group.create_task(read_sensor("pressure", 500ms, false));
            co_await asyncio::sleep(1s);  // the body is cancelled too when a child fails
            std::printf("  never printed\n");
        });
    } catch (const asyncio::ExceptionGroup& errors) {
        std::printf("%s\n", errors.what());
        for (const std::exception_ptr& error : errors.exceptions()) {
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                std::printf("  - %s\n", e.what());
            }
        }
    }

    std::printf("a round limited to 100 ms:\n");
    auto limit = asyncio::timeout(100ms);
    try {
        co_await asyncio::task_group([](asyncio::TaskGroup& group) -> asyncio::Task<> {
            group.create_task(read_sensor("temperature", 10ms, false));
            group.create_task(read_sensor("pressure", 500ms, false));
            co_return;
        });
    } catch (const asyncio::CancelledError&) {
        try {
            limit.rethrow_as_timeout();
        } catch (const asyncio::TimeoutError&) {
            std::printf("timed out: the group's children were cancelled and waited for\n");
        }
    }
}

int main() { asyncio::run(main_task()); }
