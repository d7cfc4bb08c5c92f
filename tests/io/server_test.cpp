// start_server / Server: addresses and ports, many concurrent clients, failing handlers, closing,
// and running out of descriptors.
#include <asyncio/io/server.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/gather.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/virtual_clock.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/descriptor_ballast.hpp"
#include "io/io_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using ServerTest = io_test::IoTest;

/// Echoes lines until EOF; "boom\n" makes it throw.
asyncio::Task<> line_echo(asyncio::Stream stream) {
    for (;;) {
        std::string line = co_await stream.readline();
        if (line.empty()) break;
        if (line == "boom\n") throw std::runtime_error("the handler blew up on purpose");
        stream.write(line);
        co_await stream.drain();
    }
    stream.close();
    co_await stream.wait_closed();
}

// --- many clients ---

struct Crowd {
    std::size_t size = 0;
    std::size_t connected = 0;
    asyncio::Event all_connected;
};

asyncio::Task<int> crowd_client(std::uint16_t port, int id, Crowd* crowd) {
    asyncio::Stream stream = co_await asyncio::open_connection("127.0.0.1", port);
    if (++crowd->connected == crowd->size) crowd->all_connected.set();
    co_await crowd->all_connected.wait();  // every client holds its connection at the same time
    int echoed = 0;
    for (int i = 0; i < 3; ++i) {
        const std::string line = "client " + std::to_string(id) + " message " + std::to_string(i) + "\n";
        if (co_await io_test::ask(stream, line) == line) ++echoed;
    }
    stream.close();
    co_await stream.wait_closed();
    co_return echoed;
}

asyncio::Task<> thousand_clients() {
    constexpr int kClients = 1000;
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    Crowd crowd;
    crowd.size = kClients;
    std::vector<asyncio::Task<int>> clients;
    for (int i = 0; i < kClients; ++i) clients.push_back(crowd_client(server.port(), i, &crowd));
    auto watcher = asyncio::create_task(asyncio::gather(std::move(clients)));
    co_await crowd.all_connected.wait();
    std::size_t peak = 0;
    for (int i = 0; i < 2000 && peak < kClients; ++i) {  // the server accepts them meanwhile
        peak = std::max(peak, server.active_connections());
        co_await asyncio::sleep(1ms);
    }
    EXPECT_EQ(peak, static_cast<std::size_t>(kClients)) << "all connections were served at the same time";
    const std::vector<int> echoed = co_await watcher;
    int total = 0;
    for (const int n : echoed) total += n;
    EXPECT_EQ(total, 3 * kClients);
    server.close();
    co_await server.wait_closed();
    EXPECT_EQ(server.active_connections(), 0u);
}
TEST_F(ServerTest, EchoServerWithAThousandConcurrentClients) {
    ASSERT_TRUE(io_test::raise_fd_limit(4096)) << "needs 2,000+ descriptors";
    io_test::run(thousand_clients(), 120s);
}

// --- addresses ---

asyncio::Task<> serve_and_connect(std::string listen_host, std::string connect_host) {
    auto server = co_await asyncio::start_server(line_echo, listen_host, 0);
    EXPECT_NE(server.port(), 0) << "port 0 picks a free port, reported by the server";
    EXPECT_TRUE(server.is_serving());
    for (const asyncio::Address& address : server.sockets()) EXPECT_EQ(address.port(), server.port());
    asyncio::Stream client = co_await asyncio::open_connection(connect_host, server.port());
    EXPECT_EQ(co_await io_test::ask(client, "hi\n"), "hi\n");
    client.close();
    server.close();
    EXPECT_FALSE(server.is_serving());
    co_await server.wait_closed();
}

TEST_F(ServerTest, ListensOnAnyIPv4AddressWithPortZero) {
    io_test::run(serve_and_connect("0.0.0.0", "127.0.0.1"));
}

TEST_F(ServerTest, ListensOnAnyIPv6Address) {
    if (!io_test::has_ipv6()) GTEST_SKIP() << "no IPv6 on this host";
    io_test::run(serve_and_connect("::", "::1"));
}

TEST_F(ServerTest, ListensOnLocalhostByName) { io_test::run(serve_and_connect("localhost", "localhost")); }

asyncio::Task<> sockets_report_the_family() {
    auto server = co_await asyncio::start_server(line_echo, "0.0.0.0", 0);
    EXPECT_EQ(server.sockets().size(), 1u);
    EXPECT_EQ(server.sockets().at(0).to_string(), "0.0.0.0:" + std::to_string(server.port()));
    if (io_test::has_ipv6()) {
        auto v6 = co_await asyncio::start_server(line_echo, "::1", 0);
        EXPECT_EQ(v6.sockets()[0].to_string(), "[::1]:" + std::to_string(v6.port()));
    }
}
TEST_F(ServerTest, SocketsReportTheAddressesListenedOn) { io_test::run(sockets_report_the_family()); }

/// The task serving a connection is named after the client, as reports and listings show it.
asyncio::Task<> connection_tasks_are_named_after_their_peer() {
    std::string handler_task_name;
    asyncio::Event served;
    auto server = co_await asyncio::start_server(
        [&](asyncio::Stream stream) -> asyncio::Task<> {
            handler_task_name = asyncio::current_task().get_name();
            served.set();
            stream.close();
            co_await stream.wait_closed();
        },
        "127.0.0.1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    co_await served.wait();
    EXPECT_EQ(handler_task_name, "connection " + client.sockname().to_string());
    client.close();
    co_await client.wait_closed();
}
TEST_F(ServerTest, ConnectionTasksAreNamedAfterTheirPeer) {
    io_test::run(connection_tasks_are_named_after_their_peer());
}

/// A blocking connect on a plain socket (`fd`, made beforehand): completes in the kernel, without
/// the server's accept.
int connect_plain(std::uint16_t port, int fd) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) ADD_FAILURE() << "connect";
    return fd;
}

/// A connect_plain() client whose receives give up after 10 s (a server that kept the
/// connection would leave them waiting).
int blocking_client(std::uint16_t port) {
    const int fd = connect_plain(port, ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const timeval limit{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    return fd;
}

/// Connections that arrive while the server closes, before its accept task took them, are
/// closed with the listener: each client sees its connection end (a FIN or a reset), none is
/// served, and no descriptor stays open in the server's process.
asyncio::Task<> connections_pending_at_close_end_with_it() {
    const int descriptors = io_test::open_fd_count();
    int served = 0;
    auto server = co_await asyncio::start_server(
        [&](asyncio::Stream stream) -> asyncio::Task<> {
            ++served;
            stream.close();
            co_await stream.wait_closed();
        },
        "127.0.0.1", 0);
    co_await asyncio::sleep(10ms);  // the accept task is waiting for connections
    std::vector<int> clients;
    for (int i = 0; i < 20; ++i) clients.push_back(blocking_client(server.port()));
    server.close();  // in the same step: the accept task has not run since
    co_await server.wait_closed();
    co_await asyncio::sleep(50ms);  // what the kernel still reports for the listener arrives
    for (const int fd : clients) {
        char byte = 0;
        const ssize_t got = ::recv(fd, &byte, 1, 0);
        const int error = errno;
        EXPECT_TRUE(got == 0 || (got < 0 && error == ECONNRESET)) << "recv gave " << got << ": " << std::strerror(error);
        ::close(fd);
    }
    EXPECT_EQ(served, 0);
    EXPECT_EQ(io_test::open_fd_count(), descriptors);
}
TEST_F(ServerTest, ConnectionsPendingAtCloseEndWithIt) { io_test::run(connections_pending_at_close_end_with_it()); }

/// close() before the accept tasks have run once: they are destroyed without a step, and
/// wait_closed() still returns (it once waited for them forever).
asyncio::Task<> closed_before_accepting_once() {
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    server.close();
    co_await server.wait_closed();
    EXPECT_FALSE(server.is_serving());
}
TEST_F(ServerTest, WaitClosedReturnsWhenClosedBeforeAcceptingOnce) { io_test::run(closed_before_accepting_once()); }

asyncio::Task<> unstarted_server_is_an_error() {
    asyncio::Server never_started;
    try {
        co_await never_started.wait_closed();
        ADD_FAILURE() << "wait_closed() on a Server never started returned";
    } catch (const asyncio::InvalidStateError&) {
    }
    try {
        co_await never_started.serve_forever();
        ADD_FAILURE() << "serve_forever() on a Server never started returned";
    } catch (const asyncio::InvalidStateError&) {
    }
}
TEST_F(ServerTest, WaitingOnAServerNeverStartedIsAnError) { io_test::run(unstarted_server_is_an_error()); }

/// A loop on a VirtualClock has no poller: a server or a connection on it is a clear error, and
/// the socket opened for it is closed again.
asyncio::Task<> sockets_on_a_virtual_clock() {
    try {
        (void)co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
        ADD_FAILURE() << "start_server() on a VirtualClock loop returned";
    } catch (const asyncio::InvalidStateError&) {
    }
    try {
        (void)co_await asyncio::open_connection("127.0.0.1", 9);
        ADD_FAILURE() << "open_connection() on a VirtualClock loop returned";
    } catch (const asyncio::InvalidStateError&) {
    }
}
TEST_F(ServerTest, SocketsOnAVirtualClockLoopAreAClearErrorAndLeakNothing) {
    const int descriptors = io_test::open_fd_count();
    asyncio::EventLoop loop{std::make_unique<asyncio::VirtualClock>()};
    loop.run_until_complete(sockets_on_a_virtual_clock());
    EXPECT_EQ(io_test::open_fd_count(), descriptors);
}

asyncio::Task<> port_in_use() {
    auto first = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    try {
        (void)co_await asyncio::start_server(line_echo, "127.0.0.1", first.port());
        ADD_FAILURE() << "a second server on the same port must fail";
    } catch (const std::system_error& error) {
        EXPECT_EQ(error.code().value(), EADDRINUSE);
    }
}
TEST_F(ServerTest, AnAddressInUseIsASystemError) { io_test::run(port_in_use()); }

// --- reuse_port: several listeners on one port (a loop per thread) ---

/// Counts the connections a server's handler got, then echoes lines like line_echo.
asyncio::Task<> counted_echo(int* served, asyncio::Stream stream) {
    ++*served;
    co_await line_echo(std::move(stream));
}

asyncio::ListenOptions sharing_the_port() {
    asyncio::ListenOptions options;
    options.reuse_port = true;
    return options;
}

asyncio::Task<> two_servers_share_a_port() {
    int served_by_first = 0;
    int served_by_second = 0;
    auto first = co_await asyncio::start_server(std::bind_front(&counted_echo, &served_by_first), "127.0.0.1", 0,
                                                sharing_the_port());
    auto second = co_await asyncio::start_server(std::bind_front(&counted_echo, &served_by_second), "127.0.0.1",
                                                 first.port(), sharing_the_port());
    EXPECT_EQ(second.port(), first.port());
    // The kernel picks a listener per connection by a hash of its addresses: 64 connections all
    // going to one of two would happen once in 2^63 runs.
    constexpr int kConnections = 64;
    for (int i = 0; i < kConnections; ++i) {
        asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", first.port());
        const std::string line = "hello " + std::to_string(i) + "\n";
        EXPECT_EQ(co_await io_test::ask(client, line), line);
        client.close();
        co_await client.wait_closed();
    }
    first.close();
    second.close();
    co_await asyncio::wait_for(first.wait_closed(), 5s);
    co_await asyncio::wait_for(second.wait_closed(), 5s);
    EXPECT_EQ(served_by_first + served_by_second, kConnections);
    EXPECT_GT(served_by_first, 0) << "the kernel spreads connections across both listeners";
    EXPECT_GT(served_by_second, 0) << "the kernel spreads connections across both listeners";
}
TEST_F(ServerTest, ReusePortLetsTwoServersShareAPort) { io_test::run(two_servers_share_a_port()); }

/// A second server on `first`'s port, listening with `options`: must fail with EADDRINUSE.
asyncio::Task<> second_listener_refused(bool first_shares, bool second_shares) {
    auto first = co_await asyncio::start_server(line_echo, "127.0.0.1", 0,
                                                first_shares ? sharing_the_port() : asyncio::ListenOptions());
    try {
        (void)co_await asyncio::start_server(line_echo, "127.0.0.1", first.port(),
                                             second_shares ? sharing_the_port() : asyncio::ListenOptions());
        ADD_FAILURE() << "a port is shared only when every listener asks for reuse_port";
    } catch (const std::system_error& error) {
        EXPECT_EQ(error.code().value(), EADDRINUSE) << error.what();
    }
    // The first server still serves.
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", first.port());
    EXPECT_EQ(co_await io_test::ask(client, "still here\n"), "still here\n");
}
TEST_F(ServerTest, WithoutReusePortTheSecondServerGetsAddressInUse) {
    io_test::run(second_listener_refused(false, false));
    io_test::run(second_listener_refused(true, false));
    io_test::run(second_listener_refused(false, true));
}

asyncio::Task<> backlog_through_listen_options() {
    asyncio::ListenOptions options;
    options.backlog = 1;
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0, options);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    EXPECT_EQ(co_await io_test::ask(client, "small backlog\n"), "small backlog\n");
}
TEST_F(ServerTest, ListenOptionsCarryTheBacklog) { io_test::run(backlog_through_listen_options()); }

// --- closing ---

asyncio::Task<> close_frees_the_port() {
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    const std::uint16_t port = server.port();
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", port);
    EXPECT_EQ(co_await io_test::ask(client, "before\n"), "before\n");
    server.close();
    server.close();  // twice: nothing more happens
    // No new connections...
    EXPECT_THROW((void)co_await asyncio::open_connection("127.0.0.1", port), std::system_error);
    // ...but the one accepted goes on.
    EXPECT_EQ(co_await io_test::ask(client, "after\n"), "after\n");
    // The port is free: another server can listen on it at once.
    auto again = co_await asyncio::start_server(line_echo, "127.0.0.1", port);
    EXPECT_EQ(again.port(), port);
    client.close();
    co_await asyncio::wait_for(server.wait_closed(), 5s);  // returns once the handler is done
    EXPECT_EQ(server.active_connections(), 0u);
}
TEST_F(ServerTest, CloseFreesThePortAndWaitClosedReturns) { io_test::run(close_frees_the_port()); }

asyncio::Task<> move_assignment_closes_the_old_server() {
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    const std::uint16_t old_port = server.port();
    auto other = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    const std::uint16_t new_port = other.port();
    server = std::move(other);  // as the destructor would, the old server is closed first
    EXPECT_TRUE(server.is_serving());
    EXPECT_EQ(server.port(), new_port);
    EXPECT_THROW((void)co_await asyncio::open_connection("127.0.0.1", old_port), std::system_error)
        << "the server replaced by move-assignment still listens";
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", new_port);
    EXPECT_EQ(co_await io_test::ask(client, "moved\n"), "moved\n");
    client.close();
    server.close();
    co_await asyncio::wait_for(server.wait_closed(), 5s);
}
TEST_F(ServerTest, MoveAssignmentClosesTheServerItReplaces) { io_test::run(move_assignment_closes_the_old_server()); }

asyncio::Task<> slow_goodbye(asyncio::Stream stream) {
    (void)co_await stream.read(1);
    co_await asyncio::sleep(50ms);
    stream.write("bye\n");
    co_await stream.drain();
}

asyncio::Task<> wait_closed_waits_for_handlers() {
    auto server = co_await asyncio::start_server(slow_goodbye, "127.0.0.1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    client.write("x");
    co_await client.drain();
    while (server.active_connections() == 0) co_await asyncio::sleep(1ms);
    server.close();
    const auto started = asyncio::get_event_loop().time();
    co_await server.wait_closed();
    EXPECT_GE(asyncio::get_event_loop().time() - started, std::chrono::milliseconds(40));
    EXPECT_EQ(co_await client.readline(), "bye\n");
}
TEST_F(ServerTest, WaitClosedWaitsForRunningHandlers) { io_test::run(wait_closed_waits_for_handlers()); }

asyncio::Task<> close_clients_cancels_handlers() {
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    EXPECT_EQ(co_await io_test::ask(client, "hello\n"), "hello\n");
    server.close();
    server.close_clients();  // the handler waits in readline(): cancelled there
    co_await asyncio::wait_for(server.wait_closed(), 5s);
    EXPECT_EQ(co_await client.read(), "") << "the cancelled handler's stream was closed";
}
TEST_F(ServerTest, CloseClientsCancelsRunningHandlers) { io_test::run(close_clients_cancels_handlers()); }

asyncio::Task<> close_later(asyncio::Server* server) {
    co_await asyncio::sleep(10ms);
    server->close();
}

asyncio::Task<> serve_forever_until_closed() {
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    auto closer = asyncio::create_task(close_later(&server));
    co_await server.serve_forever();
    EXPECT_FALSE(server.is_serving());
    co_await closer;
    co_await server.wait_closed();
}
TEST_F(ServerTest, ServeForeverReturnsWhenClosed) { io_test::run(serve_forever_until_closed()); }

// --- failing handlers ---

asyncio::Task<> failing_handler_is_reported() {
    io_test::CapturedReports reports;
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    asyncio::Stream good = co_await asyncio::open_connection("127.0.0.1", server.port());
    asyncio::Stream bad = co_await asyncio::open_connection("127.0.0.1", server.port());
    EXPECT_EQ(co_await io_test::ask(good, "one\n"), "one\n");
    EXPECT_EQ(co_await io_test::ask(bad, "boom\n"), "") << "the failing handler's connection is closed";
    EXPECT_EQ(co_await io_test::ask(good, "two\n"), "two\n") << "the other connection keeps working";
    asyncio::Stream later = co_await asyncio::open_connection("127.0.0.1", server.port());
    EXPECT_EQ(co_await io_test::ask(later, "three\n"), "three\n") << "the server keeps accepting";
    EXPECT_EQ(reports.count_containing("the handler blew up on purpose"), 1u);
    if (!reports.messages().empty()) {
        EXPECT_NE(reports.messages()[0].find("127.0.0.1:"), std::string::npos) << "names the peer";
    }
}
TEST_F(ServerTest, AnExceptionInOneHandlerIsReportedAndOthersKeepWorking) {
    io_test::run(failing_handler_is_reported());
}

// --- running out of descriptors ---


asyncio::Task<> accept_when_out_of_descriptors() {
    io_test::CapturedReports reports;
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    asyncio::Stream served = co_await asyncio::open_connection("127.0.0.1", server.port());
    EXPECT_EQ(co_await io_test::ask(served, "before\n"), "before\n");

    // Connected in the kernel once there is no descriptor left (a server that accepts in the
    // background, as on io_uring, would take it at once otherwise).
    const int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    io_test::DescriptorBallast ballast;
    EXPECT_GT(ballast.size(), 0u);
    asyncio::Stream waiting(connect_plain(server.port(), socket));

    const auto cpu_before = io_test::cpu_time();
    co_await asyncio::sleep(1s);
    const auto cpu_used = io_test::cpu_time() - cpu_before;
    EXPECT_LT(cpu_used, 250ms) << "the accept loop must back off, not spin";
    EXPECT_EQ(reports.count_containing("Too many open files"), 1u) << "reported once, not at every retry";
    EXPECT_TRUE(server.is_serving());
    EXPECT_EQ(co_await io_test::ask(served, "during\n"), "during\n") << "accepted connections go on";

    ballast.release();  // descriptors are free again: the waiting connection is served
    EXPECT_EQ(co_await asyncio::wait_for(io_test::ask(waiting, "after\n"), 5s), "after\n");
    asyncio::Stream fresh = co_await asyncio::open_connection("127.0.0.1", server.port());
    EXPECT_EQ(co_await io_test::ask(fresh, "fresh\n"), "fresh\n");
    std::printf("[          ] CPU used in 1 s without descriptors: %lld us\n",
                static_cast<long long>(cpu_used.count()));
}
TEST_F(ServerTest, AcceptOutOfDescriptorsNeitherSpinsNorStopsTheServer) {
    if (io_test::DescriptorBallast::misses_background_accepts()) GTEST_SKIP() << "descriptor limit above 65,536 on io_uring";
    io_test::run(accept_when_out_of_descriptors());
}

}  // namespace
