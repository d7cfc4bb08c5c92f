#include <asyncio/core/topic.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/test_support.hpp"

using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

asyncio::Task<> reader(asyncio::Topic<int>::Subscription sub, Trace* trace, std::string name) {
    while (std::optional<int> value = co_await sub.get()) trace->push_back(name + " " + std::to_string(*value));
    trace->push_back(name + " end, dropped " + std::to_string(sub.dropped()));
}

asyncio::Task<> publish_to_two(Trace* trace) {
    asyncio::Topic<int> topic;
    auto a = asyncio::create_task(reader(topic.subscribe(8), trace, "a"));
    auto b = asyncio::create_task(reader(topic.subscribe(8), trace, "b"));
    for (int i = 0; i < 3; ++i) {
        topic.publish(i);
        co_await asyncio::sleep(0);
    }
    topic.close();
    co_await a;
    co_await b;
}

TEST(Topic, EverySubscriberGetsEveryValueInOrderThenTheEnd) {
    Trace trace;
    run_virtual(publish_to_two(&trace));
    EXPECT_EQ(trace, (Trace{"a 0", "b 0", "a 1", "b 1", "a 2", "b 2", "a end, dropped 0", "b end, dropped 0"}));
}

TEST(Topic, ASlowSubscriberLosesItsOldestValuesAndCountsThem) {
    asyncio::Topic<int> topic;
    auto slow = topic.subscribe(3);
    auto fast = topic.subscribe(100);
    for (int i = 0; i < 10; ++i) topic.publish(i);  // never waits, whoever reads or not
    EXPECT_EQ(slow.pending(), 3U);
    EXPECT_EQ(slow.dropped(), 7U);
    EXPECT_EQ(fast.dropped(), 0U);
    std::vector<int> kept;
    while (auto v = slow.get_nowait()) kept.push_back(*v);
    EXPECT_EQ(kept, (std::vector<int>{7, 8, 9}));  // the newest three
    EXPECT_EQ(fast.pending(), 10U);
    EXPECT_EQ(topic.published(), 10U);
}

TEST(Topic, ABacklogOfOneKeepsOnlyTheLatestValue) {
    asyncio::Topic<std::string> topic;
    auto latest = topic.subscribe(1);
    auto zero = topic.subscribe(0);  // at least one value is always kept
    topic.publish("21.0");
    topic.publish("21.5");
    topic.publish("22.0");
    EXPECT_EQ(latest.get_nowait(), "22.0");
    EXPECT_EQ(latest.get_nowait(), std::nullopt);
    EXPECT_EQ(latest.dropped(), 2U);
    EXPECT_EQ(zero.get_nowait(), "22.0");
}

TEST(Topic, APublisherWithAStalledSubscriberUsesBoundedMemory) {
    asyncio::Topic<std::vector<char>> topic;
    auto stalled = topic.subscribe(4);
    for (int i = 0; i < 100'000; ++i) topic.publish(std::vector<char>(100, 'x'));
    EXPECT_EQ(stalled.pending(), 4U);
    EXPECT_EQ(stalled.dropped(), 100'000U - 4U);
}

asyncio::Task<std::string> close_semantics() {
    asyncio::Topic<int> topic;
    auto sub = topic.subscribe(4);
    topic.publish(1);
    topic.publish(2);
    topic.close();
    std::string seen;
    while (auto v = co_await sub.get()) seen += std::to_string(*v) + " ";  // what was left first
    seen += sub.closed() ? "closed" : "open";
    auto late = topic.subscribe();
    seen += (co_await late.get()) ? ", late got a value" : ", late subscriber sees the end";
    co_return seen;
}

TEST(Topic, CloseDeliversWhatIsLeftThenTheEnd) { EXPECT_EQ(run_virtual(close_semantics()), "1 2 closed, late subscriber sees the end"); }

TEST(Topic, ASubscriptionUnsubscribesWhenDestroyed) {
    asyncio::Topic<int> topic;
    {
        auto a = topic.subscribe();
        auto b = topic.subscribe();
        EXPECT_EQ(topic.subscriber_count(), 2U);
    }
    EXPECT_EQ(topic.subscriber_count(), 0U);
    topic.publish(1);  // nobody to deliver to: fine
}

asyncio::Task<> share_one_subscription(Trace* trace) {
    asyncio::Topic<int> topic;
    auto sub = topic.subscribe(8);
    auto read_one = [](asyncio::Topic<int>::Subscription* s, Trace* t, std::string name) -> asyncio::Task<> {
        std::optional<int> v = co_await s->get();
        t->push_back(name + (v ? " got " + std::to_string(*v) : std::string(" got the end")));
    };
    auto a = asyncio::create_task(read_one(&sub, trace, "a"));
    auto b = asyncio::create_task(read_one(&sub, trace, "b"));
    co_await asyncio::sleep(0);
    topic.publish(1);  // one value wakes one reader; the other keeps waiting for its own
    co_await asyncio::sleep(0);
    topic.publish(2);
    co_await a;
    co_await b;
}

TEST(Topic, TwoReadersOfOneSubscriptionShareItsValues) {
    Trace trace;
    run_virtual(share_one_subscription(&trace));
    EXPECT_EQ(trace, (Trace{"a got 1", "b got 2"}));
}

asyncio::Task<std::string> cancel_reader() {
    asyncio::Topic<int> topic;
    auto sub = topic.subscribe(8);
    auto read_one = [](asyncio::Topic<int>::Subscription* s) -> asyncio::Task<int> { co_return *co_await s->get(); };
    auto first = asyncio::create_task(read_one(&sub));
    auto second = asyncio::create_task(read_one(&sub));
    co_await asyncio::sleep(0);
    topic.publish(7);  // wakes first...
    first.cancel();    // ...which is cancelled before it reads: the value goes to second
    const int got = co_await second;
    co_return std::string(first.cancelled() ? "first cancelled" : "first ran") + ", second got " + std::to_string(got) +
              ", pending " + std::to_string(sub.pending());
}

TEST(Topic, ACancelledReaderLosesNoValue) {
    EXPECT_EQ(run_virtual(cancel_reader()), "first cancelled, second got 7, pending 0");
}

}  // namespace
