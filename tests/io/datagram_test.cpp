// DatagramEndpoint: UDP send_to / recv_from on 127.0.0.1 (and ::1), cancellation, closing.
#include <asyncio/io/datagram.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <string>

#include "io/io_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using DatagramTest = io_test::IoTest;

asyncio::Task<> round_trip() {
    auto server = co_await asyncio::open_datagram("127.0.0.1", 0);
    auto client = co_await asyncio::open_datagram("127.0.0.1", 0);
    EXPECT_NE(server.sockname().port(), 0) << "port 0 picks a free port";
    co_await client.send_to("ping", server.sockname());
    auto [request, sender] = co_await server.recv_from();
    EXPECT_EQ(request, "ping");
    EXPECT_EQ(sender.to_string(), client.sockname().to_string());
    co_await server.send_to("pong", sender);
    auto [reply, replier] = co_await client.recv_from();
    EXPECT_EQ(reply, "pong");
    EXPECT_EQ(replier.port(), server.sockname().port());
}
TEST_F(DatagramTest, SendToAndRecvFromRoundTrip) { io_test::run(round_trip()); }

asyncio::Task<> by_host_and_port() {
    auto server = co_await asyncio::open_datagram("127.0.0.1", 0);
    auto client = co_await asyncio::open_datagram("", 0);  // every interface
    co_await client.send_to("numeric", "127.0.0.1", server.sockname().port());
    co_await client.send_to("", "127.0.0.1", server.sockname().port());  // an empty datagram
    co_await client.send_to(std::string(1000, 'x'), "127.0.0.1", server.sockname().port());
    EXPECT_EQ((co_await server.recv_from()).first, "numeric");
    EXPECT_EQ((co_await server.recv_from()).first, "");
    EXPECT_EQ((co_await server.recv_from(10)).first, std::string(10, 'x')) << "truncated to max_size";
    EXPECT_THROW(co_await client.send_to("x", "not-numeric", 1), std::invalid_argument);
}
TEST_F(DatagramTest, SendToHostAndPortEmptyAndTruncatedDatagrams) { io_test::run(by_host_and_port()); }

asyncio::Task<> ipv6_round_trip() {
    auto server = co_await asyncio::open_datagram("::1", 0);
    auto client = co_await asyncio::open_datagram("::1", 0);
    co_await client.send_to("six", "::1", server.sockname().port());
    auto [data, sender] = co_await server.recv_from();
    EXPECT_EQ(data, "six");
    EXPECT_EQ(sender.host(), "::1");
}
TEST_F(DatagramTest, RoundTripOverIPv6) {
    if (!io_test::has_ipv6()) GTEST_SKIP() << "no IPv6 on this host";
    io_test::run(ipv6_round_trip());
}

asyncio::Task<std::string> receive_one(asyncio::DatagramEndpoint& endpoint) {
    co_return (co_await endpoint.recv_from()).first;
}

asyncio::Task<> cancel_recv_from() {
    auto server = co_await asyncio::open_datagram("127.0.0.1", 0);
    auto client = co_await asyncio::open_datagram("127.0.0.1", 0);
    EXPECT_THROW((void)co_await asyncio::wait_for(server.recv_from(), 20ms), asyncio::TimeoutError);
    EXPECT_FALSE(asyncio::get_event_loop().platform().has_pending_io()) << "the wait was unregistered";
    auto waiting = asyncio::create_task(receive_one(server));
    co_await asyncio::sleep(5ms);
    waiting.cancel();
    EXPECT_THROW((void)co_await waiting, asyncio::CancelledError);
    co_await client.send_to("after", server.sockname());
    EXPECT_EQ(co_await receive_one(server), "after") << "no datagram was lost to the cancelled waits";
}
TEST_F(DatagramTest, CancellingRecvFromUnregistersAndLosesNothing) { io_test::run(cancel_recv_from()); }

asyncio::Task<> close_endpoint() {
    auto endpoint = co_await asyncio::open_datagram("127.0.0.1", 0);
    auto waiting = asyncio::create_task(receive_one(endpoint));
    co_await asyncio::sleep(5ms);
    endpoint.close();  // wakes the waiting task, which sees the closed endpoint
    EXPECT_THROW((void)co_await waiting, asyncio::InvalidStateError);
    EXPECT_THROW(co_await endpoint.send_to("x", "127.0.0.1", 9), asyncio::InvalidStateError);
    endpoint.close();  // twice: nothing happens
}
TEST_F(DatagramTest, ClosingWakesAWaitingReceiverAndLaterCallsFail) { io_test::run(close_endpoint()); }

asyncio::Task<> move_assignment_closes_the_old_socket() {
    auto endpoint = co_await asyncio::open_datagram("127.0.0.1", 0);
    const std::uint16_t old_port = endpoint.sockname().port();
    auto waiting = asyncio::create_task(receive_one(endpoint));
    co_await asyncio::sleep(5ms);  // the receive waits on the old socket
    endpoint = co_await asyncio::open_datagram("127.0.0.1", 0);  // closes the old one, as close()
    EXPECT_NE(endpoint.sockname().port(), old_port);
    try {
        (void)co_await asyncio::wait_for(std::move(waiting), 5s);
        ADD_FAILURE() << "a receive on the replaced socket returned a datagram";
    } catch (const asyncio::InvalidStateError&) {
        // woken, as by close()
    } catch (const asyncio::TimeoutError&) {
        ADD_FAILURE() << "the receive on the replaced socket still waits: the socket was not closed";
    }
    // The old port is free again.
    auto again = co_await asyncio::open_datagram("127.0.0.1", old_port);
    EXPECT_EQ(again.sockname().port(), old_port);
}
TEST_F(DatagramTest, MoveAssignmentClosesTheSocketItReplaces) { io_test::run(move_assignment_closes_the_old_socket()); }

asyncio::Task<> bind_errors() {
    auto first = co_await asyncio::open_datagram("127.0.0.1", 0);
    EXPECT_THROW((void)co_await asyncio::open_datagram("127.0.0.1", first.sockname().port()), std::system_error);
    EXPECT_THROW((void)co_await asyncio::open_datagram("localhost-is-a-name", 0), std::invalid_argument);
}
TEST_F(DatagramTest, BindingATakenPortIsASystemError) { io_test::run(bind_errors()); }

}  // namespace
