// The socket table's limit (ASYNCIO_LWIP_MAX_SOCKETS entries; both ends of a connection made
// here count, as both live in this one lwIP): a connection whose server end finds the table full
// is refused (a reset, counted in socket_counts().refused); with the table full, a new socket
// cannot even be opened; closing one connection lets the next one through.
#include <asyncio/io/stream.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/io/detail/socket_ops.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <cerrno>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include "lwip_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using LwipSocketTableTest = lwip_test::LwipTest;

std::size_t in_use() { return asyncio::lwip::socket_counts().in_use; }
std::size_t capacity() { return asyncio::lwip::socket_counts().capacity; }

/// Echoes lines until EOF.
asyncio::Task<> echo_lines(int* ended, asyncio::Stream stream) {
    for (std::string line; !(line = co_await stream.readline()).empty();) {
        stream.write(std::move(line));
        co_await stream.drain();
    }
    ++*ended;
}

/// A connection the server accepted and answers (one echoed line).
asyncio::Task<asyncio::Stream> served_connection(std::uint16_t port) {
    asyncio::Stream client = co_await asyncio::wait_for(asyncio::open_connection("127.0.0.1", port), 5s);
    client.write("ping\n");
    co_await client.drain();
    EXPECT_EQ(co_await asyncio::wait_for(client.readline(), 5s), "ping\n");
    co_return client;
}

/// Waits (bounded) until the table holds `count` sockets.
asyncio::Task<bool> in_use_becomes(std::size_t count) {
    for (int i = 0; i < 500 && in_use() != count; ++i) co_await asyncio::sleep(10ms);
    co_return in_use() == count;
}

asyncio::Task<> table_full() {
    int ended = 0;
    auto server = co_await asyncio::start_server(std::bind_front(&echo_lines, &ended), "127.0.0.1", 0);
    // Each connection takes two entries. Fill all but one, so that the next client gets the last
    // entry and its server end finds none: one socket opened and never connected evens the count.
    int spare = -1;
    if ((capacity() - in_use()) % 2 == 0) spare = static_cast<int>(asyncio::detail::open_socket(AF_INET, SOCK_STREAM).value);
    std::vector<asyncio::Stream> clients;
    while (capacity() - in_use() > 1) clients.push_back(co_await served_connection(server.port()));
    EXPECT_EQ(in_use(), capacity() - 1);
    EXPECT_GE(clients.size(), 2u);

    const std::size_t refused_before = asyncio::lwip::socket_counts().refused;
    bool reset = false;
    try {
        asyncio::Stream unlucky = co_await asyncio::wait_for(asyncio::open_connection("127.0.0.1", server.port()), 5s);
        EXPECT_EQ(in_use(), capacity());
        const std::string got = co_await asyncio::wait_for(unlucky.read(10), 5s);
        ADD_FAILURE() << "a connection the table has no room for must be refused, it read '" << got << "'";
    } catch (const std::system_error& error) {
        reset = error.code().value() == ECONNRESET;
        EXPECT_TRUE(reset) << error.what();
    }
    EXPECT_EQ(asyncio::lwip::socket_counts().refused, refused_before + 1) << "the refusal is counted";
    EXPECT_EQ(in_use(), capacity() - 1) << "the refused client's socket was released";

    // Full to the last entry, a socket cannot be opened at all.
    const asyncio::detail::IoResult last = asyncio::detail::open_socket(AF_INET, SOCK_STREAM);
    EXPECT_EQ(last.error, 0);
    EXPECT_EQ(in_use(), capacity());
    try {
        (void)co_await asyncio::wait_for(asyncio::open_connection("127.0.0.1", server.port()), 5s);
        ADD_FAILURE() << "with the table full, open_connection must fail";
    } catch (const std::system_error& error) {
        EXPECT_EQ(error.code().value(), EMFILE) << error.what();
    }
    if (last.error == 0) asyncio::detail::close_socket(static_cast<int>(last.value));

    // One connection ends: both its entries are free again, and a new client is served.
    const std::size_t before_close = in_use();
    clients.front().close();
    co_await asyncio::wait_for(clients.front().wait_closed(), 5s);
    EXPECT_TRUE(co_await in_use_becomes(before_close - 2)) << "the server's end closed too";
    EXPECT_EQ(ended, 1);
    clients.push_back(co_await served_connection(server.port()));

    for (asyncio::Stream& client : clients) client.close();
    if (spare >= 0) asyncio::detail::close_socket(spare);
    server.close();
    co_await asyncio::wait_for(server.wait_closed(), 5s);
}
TEST_F(LwipSocketTableTest, FullTableRefusesThenRecoversWhenOneCloses) { lwip_test::run(table_full()); }

}  // namespace
