// A producer and a consumer over a bounded Queue: the producer waits while the queue is full.
#include <asyncio/asyncio.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

asyncio::Task<> producer(asyncio::Queue<int>& queue) {
    for (int item = 1; item <= 5; ++item) {
        co_await queue.put(item);  // waits while 2 items are unread
        std::printf("produced %d (queue holds %zu)\n", item, queue.qsize());
    }
    co_await queue.put(0);  // 0 means "no more"
}

asyncio::Task<> consumer(asyncio::Queue<int>& queue) {
    for (;;) {
        int item = co_await queue.get();
        if (item == 0) break;
        std::printf("consumed %d\n", item);
        co_await asyncio::sleep(100ms);  // a slow consumer
    }
}

asyncio::Task<> main_task() {
    asyncio::Queue<int> queue(2);
    co_await asyncio::gather(producer(queue), consumer(queue));
}

int main() { asyncio::run(main_task()); }
