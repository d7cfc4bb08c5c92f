// start_server out of descriptors for longer than a moment: the connections waiting in the backlog
// are shed (refusal message, clean close), the server keeps serving the connections it has, sheds
// again later, and accepts normally once descriptors are free. Real sockets on 127.0.0.1.
#include <asyncio/io/server.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "io/descriptor_ballast.hpp"
#include "io/io_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using AcceptShedding = io_test::IoTest;

/// UBSan (built together with ASan here) checks a polymorphic object's type by writing its memory
/// into a pipe() it opens: with the descriptor table full that fails, and it reports a false
/// "invalid vptr" error and aborts. The tests that fill the table run in the plain builds only.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
constexpr const char* kSanitizedSkip = "UBSan needs free descriptors for its vptr check";

/// Echoes lines until EOF.
asyncio::Task<> line_echo(asyncio::Stream stream) {
    for (;;) {
        std::string line = co_await stream.readline();
        if (line.empty()) break;
        stream.write(line);
        co_await stream.drain();
    }
    stream.close();
    co_await stream.wait_closed();
}

/// Everything the peer sends until it closes. A reset (instead of a FIN) throws std::system_error.
asyncio::Task<std::string> read_to_eof(asyncio::Stream& stream) {
    std::string received;
    for (;;) {
        std::string chunk = co_await stream.read(4096);
        if (chunk.empty()) co_return received;
        received += chunk;
    }
}


/// A client that connects (the kernel completes it without the server's accept) and sends
/// `request` at once, as a browser does. `fd`: a socket made beforehand, so that the connection
/// can arrive when the process has no descriptor left (the server may take a connection as it
/// arrives: io_uring accepts in the background).
asyncio::Stream waiting_client(std::uint16_t port, const std::string& request,
                               int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ADD_FAILURE() << "connect: " << std::strerror(errno);
    }
    if (!request.empty() && ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) ADD_FAILURE() << "send";
    return asyncio::Stream(fd);
}

// --- a lasting shortage sheds the waiting connections ---

asyncio::Task<> waiting_connection_gets_refusal_then_fin() {
    io_test::CapturedReports reports;
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    server.set_refusal_message("busy, retry later\n");
    asyncio::Stream served = co_await asyncio::open_connection("127.0.0.1", server.port());
    EXPECT_EQ(co_await io_test::ask(served, "before\n"), "before\n");

    // It arrives when no descriptor is left, and sends its request before the server could take
    // it: closing with that unread would be a reset, so the refusal must still arrive, followed
    // by a clean end of stream.
    const int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    io_test::DescriptorBallast ballast;
    EXPECT_GT(ballast.size(), 0u);
    asyncio::Stream waiting = waiting_client(server.port(), "a request it will never see answered\n", socket);

    const auto cpu_before = io_test::cpu_time();
    std::string refusal;
    try {
        refusal = co_await asyncio::wait_for(read_to_eof(waiting), 10s);
    } catch (const std::system_error& error) {
        ADD_FAILURE() << "the shed connection was reset: " << error.what();
    }
    const auto cpu_used = io_test::cpu_time() - cpu_before;
    EXPECT_EQ(refusal, "busy, retry later\n");
    EXPECT_EQ(server.accept_stats().shed, 1u);
    EXPECT_GE(server.accept_stats().backoffs, 5u) << "it waited, retrying, before shedding";
    EXPECT_LT(cpu_used, 500ms) << "waiting out the shortage must not spin";
    EXPECT_EQ(reports.count_containing("Too many open files"), 1u) << "reported once, not at every retry";
    EXPECT_EQ(co_await io_test::ask(served, "during\n"), "during\n") << "accepted connections go on";

    ballast.release();
    asyncio::Stream fresh = co_await asyncio::open_connection("127.0.0.1", server.port());
    EXPECT_EQ(co_await io_test::ask(fresh, "after\n"), "after\n");
    EXPECT_EQ(server.accept_stats().accepted, 2u);
    EXPECT_EQ(server.accept_stats().shed, 1u);
    std::printf("[          ] shed after %zu back-offs; CPU used meanwhile: %lld us\n",
                static_cast<std::size_t>(server.accept_stats().backoffs), static_cast<long long>(cpu_used.count()));
}
TEST_F(AcceptShedding, AConnectionWaitingThroughALastingShortageGetsTheRefusalThenAFin) {
    if (io_test::DescriptorBallast::misses_background_accepts()) GTEST_SKIP() << "descriptor limit above 65,536 on io_uring";
    if (kSanitized) GTEST_SKIP() << kSanitizedSkip;
    io_test::run(waiting_connection_gets_refusal_then_fin());
}

asyncio::Task<> shed_without_message_is_a_plain_close() {
    io_test::CapturedReports reports;
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    asyncio::Stream waiting = waiting_client(server.port(), "hello\n");
    io_test::DescriptorBallast ballast;
    std::string received = "(reset)";
    try {
        received = co_await asyncio::wait_for(read_to_eof(waiting), 10s);
    } catch (const std::system_error& error) {
        ADD_FAILURE() << "the shed connection was reset: " << error.what();
    }
    EXPECT_EQ(received, "") << "no refusal message set: an end of stream, nothing else";
    EXPECT_EQ(server.accept_stats().shed, 1u);
    EXPECT_EQ(server.accept_stats().accepted, 0u);
}
TEST_F(AcceptShedding, WithoutARefusalMessageAShedConnectionIsClosedWithoutAReset) {
    if (kSanitized) GTEST_SKIP() << kSanitizedSkip;
    io_test::run(shed_without_message_is_a_plain_close());
}

asyncio::Task<> every_waiting_connection_is_shed_and_later_ones_too() {
    io_test::CapturedReports reports;
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    server.set_refusal_message("busy\n");
    std::vector<asyncio::Stream> first_wave;
    for (int i = 0; i < 5; ++i) first_wave.push_back(waiting_client(server.port(), "x\n"));
    io_test::DescriptorBallast ballast;
    for (auto& client : first_wave) EXPECT_EQ(co_await asyncio::wait_for(read_to_eof(client), 10s), "busy\n");
    EXPECT_EQ(server.accept_stats().shed, 5u);

    // Still out of descriptors: the reserve was taken back after each refusal, so newcomers
    // are shed too (after their own wait), not left hanging.
    ballast.make_room(2);
    std::vector<asyncio::Stream> second_wave;
    for (int i = 0; i < 2; ++i) second_wave.push_back(waiting_client(server.port(), ""));
    for (auto& client : second_wave) EXPECT_EQ(co_await asyncio::wait_for(read_to_eof(client), 10s), "busy\n");
    EXPECT_EQ(server.accept_stats().shed, 7u);
    EXPECT_EQ(server.accept_stats().accepted, 0u);
    first_wave.clear();
    second_wave.clear();

    ballast.release();
    asyncio::Stream fresh = co_await asyncio::open_connection("127.0.0.1", server.port());
    EXPECT_EQ(co_await io_test::ask(fresh, "served\n"), "served\n");
}
TEST_F(AcceptShedding, EveryWaitingConnectionIsShedAndNewcomersTooWhileTheShortageLasts) {
    if (kSanitized) GTEST_SKIP() << kSanitizedSkip;
    io_test::run(every_waiting_connection_is_shed_and_later_ones_too());
}

// --- counting ---

asyncio::Task<> stats_count_accepted_connections() {
    auto server = co_await asyncio::start_server(line_echo, "127.0.0.1", 0);
    EXPECT_EQ(server.accept_stats().accepted, 0u);
    for (int i = 0; i < 3; ++i) {
        asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
        EXPECT_EQ(co_await io_test::ask(client, "hi\n"), "hi\n");
    }
    EXPECT_EQ(server.accept_stats().accepted, 3u);
    EXPECT_EQ(server.accept_stats().shed, 0u);
    EXPECT_EQ(server.accept_stats().backoffs, 0u);
}
TEST_F(AcceptShedding, StatsCountAcceptedConnectionsAndNoSheddingWhenDescriptorsAreFree) {
    io_test::run(stats_count_accepted_connections());
}

}  // namespace
