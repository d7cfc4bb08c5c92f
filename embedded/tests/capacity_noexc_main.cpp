// capacity for the -fno-exceptions profile (built only without exceptions): creates sleeping tasks
// until there is no memory for the next one's frame, which the profile reports as an empty Task
// from the coroutine call (config.hpp), then reports how many were sleeping and ends the program
// (exit status 0).

#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include "board.hpp"
#include "semihosting.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace std::chrono_literals;

namespace {

unsigned g_sleeping = 0;
std::size_t g_frame_bytes = 0;

void report_and_exit(const char* stopped_by) {
    char line[200];
    std::snprintf(line, sizeof line,
                  "MEASURE max_sleeping_tasks=%u board=%s ram=%u static(.data+.bss)=%u stack=%u heap=%u frame=%u "
                  "stopped_by=\"%s\"\nMEASURE stack_high_water=%u\ncapacity: ok\n",
                  g_sleeping, ASYNCIO_BOARD_NAME, unsigned(board::ram_size()), unsigned(board::static_ram_size()),
                  unsigned(board::stack_size()), unsigned(board::heap_size()), unsigned(g_frame_bytes), stopped_by,
                  unsigned(board::stack_high_water()));
    asyncio::port::semihost_write(line);
    asyncio::port::semihost_exit(0);
}

/// malloc, noting the size of a task's allocation (its state and frame).
class WatchingAllocator final : public asyncio::FrameAllocator {
public:
    void* allocate(std::size_t size) noexcept override {
        void* frame = std::malloc(size);
        if (frame != nullptr) g_frame_bytes = size;
        return frame;
    }
    void deallocate(void* frame, std::size_t) noexcept override { std::free(frame); }
};

WatchingAllocator g_allocator;

asyncio::Task<> sleep_for_a_day() { co_await asyncio::sleep(24h); }

asyncio::Task<> fill_memory() {
    for (;;) {
        asyncio::Task<> next = sleep_for_a_day();
        if (!next) report_and_exit("no memory for one more frame");
        auto task = asyncio::create_task(std::move(next));
        co_await asyncio::sleep(0);  // it runs its first step and sleeps: its timer is in the heap
        if (task.done()) report_and_exit("a task could not start");
        ++g_sleeping;
    }
}

}  // namespace

/// The heap ran out outside a frame (the timer heap growing): the profile's operator new calls this.
extern "C" void asyncio_port_out_of_memory() { report_and_exit("no memory for the timer heap to grow"); }

int main() {
    asyncio::set_frame_allocator(&g_allocator);
    asyncio::run(fill_memory());
    return 1;
}
