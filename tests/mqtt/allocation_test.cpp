// A QoS 0 publish allocates nothing in the steady state: counted with a replacement operator
// new (and the coroutine frame allocator) over 1000 publishes to a real broker.
#include <asyncio/mqtt/client.hpp>

#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/sleep.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "mqtt/mosquitto_broker.hpp"

// Not under AddressSanitizer, whose own operator new checks what is freed how.
#if defined(__SANITIZE_ADDRESS__)
TEST(MqttAllocation, QoS0PublishAllocatesNothingInTheSteadyState) { GTEST_SKIP() << "counted without the sanitizer's allocator"; }
#else
namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

void* counted_malloc(std::size_t size) {
    if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* block = std::malloc(size == 0 ? 1 : size)) return block;
    throw std::bad_alloc();
}

/// Coroutine frames come from the frame allocator, not operator new: counted too.
class CountingFrames final : public asyncio::FrameAllocator {
public:
    void* allocate(std::size_t size) noexcept override {
        if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
        return std::malloc(size);
    }
    void deallocate(void* frame, std::size_t) noexcept override { std::free(frame); }
};
}  // namespace

void* operator new(std::size_t size) { return counted_malloc(size); }
void* operator new[](std::size_t size) { return counted_malloc(size); }
void operator delete(void* block) noexcept { std::free(block); }
void operator delete[](void* block) noexcept { std::free(block); }
void operator delete(void* block, std::size_t) noexcept { std::free(block); }
void operator delete[](void* block, std::size_t) noexcept { std::free(block); }

namespace {

using namespace std::chrono_literals;
using namespace asyncio::mqtt;

asyncio::Task<> publish_many(std::uint16_t port, long& allocations) {
    Options options;
    options.port = port;
    Client client(options);
    co_await client.connect();
    const std::string topic = "bench/allocation/a-topic-longer-than-sso";
    const std::string payload(100, 'x');
    for (int i = 0; i < 100; ++i) co_await client.publish(topic, payload);  // warm-up: buffers grow
    co_await asyncio::sleep(50ms);
    g_allocations = 0;
    g_counting = true;
    for (int i = 0; i < 1000; ++i) {
        co_await client.publish(topic, payload);
        if (i % 10 == 9) co_await asyncio::sleep(0);  // let the writer send
    }
    g_counting = false;
    allocations = g_allocations;
    co_await client.disconnect();
}

TEST(MqttAllocation, QoS0PublishAllocatesNothingInTheSteadyState) {
    if (!mqtt_test::Mosquitto::installed()) GTEST_SKIP() << "mosquitto is not installed";
    mqtt_test::Mosquitto broker;
    ASSERT_TRUE(broker.start());
    CountingFrames frames;
    asyncio::set_frame_allocator(&frames);
    long allocations = -1;
    mqtt_test::run(publish_many(broker.port(), allocations));
    asyncio::set_frame_allocator(nullptr);
    RecordProperty("allocations_per_1000_publishes", std::to_string(allocations));
    std::printf("allocations during 1000 QoS 0 publishes: %ld\n", allocations);
    EXPECT_LE(allocations, 10);  // none expected; a few for a buffer that grows once more
}

}  // namespace
#endif
