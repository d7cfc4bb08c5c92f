// History::insert: a loop's copy of the readings (sensor-server --workers) keeps the ids of the
// loop that took them, and a reading it never got (its mailbox overflowed) stays missing.
#include "history.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace sensor_server {
namespace {

Sample sample(std::uint64_t id) {
    Sample result;
    result.id = id;
    result.reading.ts_ms = static_cast<std::int64_t>(id) * 1000;
    result.reading.add("temperature_c", static_cast<double>(id));
    return result;
}

std::vector<std::uint64_t> ids_after(const History& history, std::uint64_t after) {
    std::vector<std::uint64_t> ids;
    history.for_each_after(after, [&ids](const Sample& kept) { ids.push_back(kept.id); });
    return ids;
}

TEST(HistoryInsert, KeepsTheIdsItIsGiven) {
    History history(5);
    for (std::uint64_t id = 41; id <= 43; ++id) history.insert(sample(id));
    EXPECT_EQ(ids_after(history, 0), (std::vector<std::uint64_t>{41, 42, 43}));
    EXPECT_EQ(history.last_id(), 43u);
    EXPECT_EQ(history.latest().reading.ts_ms, 43000);
    EXPECT_EQ(history.push(sample(0).reading), 44u) << "a reading taken here goes on from the last id";
}

TEST(HistoryInsert, ReadingsSkippedStayMissing) {
    History history(6);
    history.insert(sample(1));
    history.insert(sample(2));
    history.insert(sample(5));  // 3 and 4 were dropped on the way
    EXPECT_EQ(ids_after(history, 0), (std::vector<std::uint64_t>{1, 2, 5}));
    EXPECT_EQ(history.find(3), nullptr);
    EXPECT_EQ(history.find(4), nullptr);
    ASSERT_NE(history.find(5), nullptr);
    EXPECT_EQ(history.find(5)->reading.ts_ms, 5000);
    EXPECT_EQ(ids_after(history, 2), (std::vector<std::uint64_t>{5}));
}

TEST(HistoryInsert, AGapWiderThanTheRingLeavesOnlyTheNewest) {
    History history(3);
    for (std::uint64_t id = 1; id <= 3; ++id) history.insert(sample(id));
    history.insert(sample(100));
    EXPECT_EQ(ids_after(history, 0), (std::vector<std::uint64_t>{100}));
    EXPECT_EQ(history.find(3), nullptr) << "an old reading in a reused slot is not served as a newer id";
    history.insert(sample(101));
    EXPECT_EQ(ids_after(history, 0), (std::vector<std::uint64_t>{100, 101}));
}

TEST(HistoryInsert, AnOldOrRepeatedIdIsIgnored) {
    History history(4);
    history.insert(sample(7));
    history.insert(sample(7));
    history.insert(sample(3));
    EXPECT_EQ(ids_after(history, 0), (std::vector<std::uint64_t>{7}));
}

}  // namespace
}  // namespace sensor_server
