// How many sleeping tasks fit in this board's RAM? Creates tasks that sleep for a day, one after
// the other, each with the default frame allocator (malloc), until memory runs out, and counts
// them. Running out must be a clean error: std::bad_alloc where the coroutine is called (no frame
// left) or in the task's first step (no room for the timer heap to grow), never a corruption or a
// crash. The program then cancels them all, checks that every frame was freed, and exits 0.
//
// On the micro:bit (16 KiB of RAM) this is the number docs/EMBEDDED.md quotes.

#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include "board.hpp"

#include <chrono>
#include <cstdio>
#include <malloc.h>
#include <new>

using namespace std::chrono_literals;

namespace {

asyncio::Task<> sleep_for_a_day() { co_await asyncio::sleep(24h); }

struct Result {
    unsigned tasks = 0;
    unsigned frame_bytes = 0;
    const char* stopped_by = "nothing";
};

asyncio::Task<Result> fill_memory() {
    Result result;
    const asyncio::FrameStats before = asyncio::frame_stats();
    for (;;) {
        asyncio::Task<> task;
        try {
            task = asyncio::create_task(sleep_for_a_day());
        } catch (const std::bad_alloc&) {
            result.stopped_by = "no memory for one more frame (std::bad_alloc at the call)";
            break;
        }
        co_await asyncio::sleep(0);  // it runs its first step and sleeps: its timer is in the heap
        if (task.done()) {
            try {
                co_await task;
            } catch (const std::bad_alloc&) {
                result.stopped_by = "no memory for the timer heap to grow (std::bad_alloc in the task)";
            }
            break;
        }
        ++result.tasks;
    }
    const asyncio::FrameStats after = asyncio::frame_stats();
    if (result.tasks > 0) result.frame_bytes = static_cast<unsigned>((after.live_bytes - before.live_bytes) / result.tasks);
    const unsigned sleeping = static_cast<unsigned>(asyncio::get_event_loop().task_count() - 1);
    std::printf("sleeping tasks: %u (the loop counts %u)\n", result.tasks, sleeping);
    if (sleeping != result.tasks) result.stopped_by = "MISMATCH";
    co_return result;  // run() then cancels every sleeping task and reaps it
}

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    const std::size_t ram = board::ram_size();
    const std::size_t static_ram = board::static_ram_size();
    const std::size_t heap_at_start = mallinfo().uordblks;
    Result result;
    try {
        result = asyncio::run(fill_memory());
    } catch (const std::exception& e) {
        std::printf("FAILED: %s\n", e.what());
        return 1;
    }
    const bool all_freed = asyncio::frame_stats().live_frames == 0;
    std::printf("MEASURE max_sleeping_tasks=%u board=%s ram=%u static(.data+.bss)=%u stack=%u heap=%u "
                "heap_used_before_first_task=%u frame=%u stopped_by=\"%s\"\n",
                result.tasks, ASYNCIO_BOARD_NAME, unsigned(ram), unsigned(static_ram), unsigned(board::stack_size()),
                unsigned(board::heap_size()), unsigned(heap_at_start), result.frame_bytes, result.stopped_by);
    std::printf("MEASURE stack_high_water=%u\n", unsigned(board::stack_high_water()));
    const bool ok = result.tasks > 0 && all_freed && result.stopped_by[0] == 'n';
    std::printf(ok ? "capacity: ok\n" : "capacity: FAILED\n");
    return ok ? 0 : 1;
}
