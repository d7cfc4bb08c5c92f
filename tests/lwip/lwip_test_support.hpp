#pragma once
// Shared helpers of the lwIP back-end's host tests (tests/lwip): the fixture that checks the
// socket table is back to where it was after each test, a bounded run(), a connected pair of
// Streams over lwIP's loopback interface (127.0.0.1), and a data pattern for bulk transfers.
//
// The whole io layer here is the board's (src/io/lwip): every socket is an entry of its table,
// every packet goes through lwIP's TCP and its loopback netif, which the loop polls before it
// sleeps (lwip_platform.cpp).

#include <asyncio/core/queue.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/io/lwip.hpp>
#include <asyncio/io/server.hpp>
#include <asyncio/io/stream.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace lwip_test {

using namespace std::chrono_literals;

/// asyncio::run() with a time limit, so that a hang fails the test instead of the suite.
template <class T>
T run(asyncio::Task<T> main, std::chrono::seconds limit = 30s) {
    return asyncio::run(asyncio::wait_for(std::move(main), limit));
}

/// lwIP pcbs (active or listening) whose callbacks still point at a socket-table entry: each
/// should have been detached when its socket was released (lwip_platform.cpp).
std::size_t attached_pcbs();

/// Every test: the socket table holds as many sockets after the test as before it, and no lwIP
/// pcb is left pointing at the table.
class LwipTest : public ::testing::Test {
protected:
    void SetUp() override { m_in_use_before = asyncio::lwip::socket_counts().in_use; }
    void TearDown() override {
        EXPECT_EQ(asyncio::lwip::socket_counts().in_use, m_in_use_before) << "sockets leaked by this test";
        EXPECT_EQ(attached_pcbs(), 0u) << "an lwIP pcb still calls back into a released socket";
    }

private:
    std::size_t m_in_use_before = 0;
};

/// Byte `i` of a transfer: a period (251) that no buffer or segment size divides, so a byte
/// dropped, repeated or reordered shows.
inline std::string pattern(std::size_t size, std::size_t offset = 0) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((offset + i) % 251);
    return data;
}

/// A listening server whose accepted connections are handed to the test (not served).
struct Acceptor {
    asyncio::Server server;
    std::unique_ptr<asyncio::Queue<asyncio::Stream>> accepted;  ///< outlives the server's callback
};

/// start_server() on 127.0.0.1, port 0; each accepted Stream waits in `accepted`.
asyncio::Task<Acceptor> start_acceptor();

/// A connected pair: the client's Stream and the server's, over the loopback (the server that
/// accepted it is closed already).
struct Pair {
    Acceptor acceptor;
    asyncio::Stream client;
    asyncio::Stream server;
};
asyncio::Task<Pair> connected_pair();

/// Closes both streams and waits until they are closed.
asyncio::Task<> close_pair(Pair& pair);

}  // namespace lwip_test
