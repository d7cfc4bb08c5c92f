// Which back-end a loop runs on: the one asked for (the environment variable ASYNCIO_POLLER, or
// the build's default), epoll where the kernel refuses io_uring (one line on stderr), and a clear
// error for a name the build does not know. (The rest of the io suite runs on each back-end:
// ctest runs it once more with ASYNCIO_POLLER=uring, as "uring.*".)
#include <asyncio/core/loop.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/io/poller.hpp>
#include <asyncio/io/server.hpp>
#include <asyncio/io/stream.hpp>

#include <gtest/gtest.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "io/io_test_support.hpp"

namespace {

using BackendTest = io_test::IoTest;

asyncio::Task<std::string> backend_name() { co_return asyncio::detail::Poller::current().name(); }

std::string running_backend() { return asyncio::run(backend_name()); }

/// Sets ASYNCIO_POLLER for one test and puts the old value back.
class BackendVariable {
public:
    explicit BackendVariable(const char* value) {
        if (const char* old = std::getenv("ASYNCIO_POLLER")) m_old = old;
        ::setenv("ASYNCIO_POLLER", value, 1);
    }
    ~BackendVariable() {
        if (m_old.empty()) {
            ::unsetenv("ASYNCIO_POLLER");
        } else {
            ::setenv("ASYNCIO_POLLER", m_old.c_str(), 1);
        }
    }
    BackendVariable(const BackendVariable&) = delete;
    BackendVariable& operator=(const BackendVariable&) = delete;

private:
    std::string m_old;
};

bool poll_build() { return running_backend() == "poll"; }

// The guard of `make test-uring`: a suite meant to run on io_uring must not pass on epoll.
TEST_F(BackendTest, LoopsRunOnTheBackendTheEnvironmentNames) {
    const char* wanted = std::getenv("ASYNCIO_POLLER");
    if (wanted == nullptr || *wanted == '\0') GTEST_SKIP() << "ASYNCIO_POLLER is not set: the build's default";
    EXPECT_EQ(running_backend(), wanted);
}

TEST_F(BackendTest, AnUnknownBackendNameIsAClearError) {
    if (poll_build()) GTEST_SKIP() << "a poll() build has no other back-end to choose";
    BackendVariable variable("kqueue");
    try {
        running_backend();
        ADD_FAILURE() << "ASYNCIO_POLLER=kqueue was accepted";
    } catch (const std::invalid_argument& error) {
        EXPECT_NE(std::string(error.what()).find("ASYNCIO_POLLER='kqueue'"), std::string::npos) << error.what();
    }
}

TEST_F(BackendTest, EpollCanBeChosenAtRunTime) {
    if (poll_build()) GTEST_SKIP() << "a poll() build has no other back-end to choose";
    BackendVariable variable("epoll");
    EXPECT_EQ(running_backend(), "epoll");
}

/// A seccomp filter that makes io_uring_setup fail with EPERM, as container runtimes do.
void forbid_io_uring() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{};
    program.len = sizeof filter / sizeof filter[0];
    program.filter = filter;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        ::_exit(3);
    }
}

/// Runs a loop asking for io_uring in a child process where io_uring is forbidden; returns what
/// the child wrote to stderr (the library's report, then "backend=NAME").
std::string stderr_of_a_loop_without_io_uring() {
    int pipe_ends[2];
    if (::pipe(pipe_ends) != 0) throw std::runtime_error("pipe");
    const pid_t child = ::fork();
    if (child == 0) {
        ::dup2(pipe_ends[1], STDERR_FILENO);
        ::close(pipe_ends[0]);
        ::close(pipe_ends[1]);
        forbid_io_uring();
        ::setenv("ASYNCIO_POLLER", "uring", 1);
        const std::string line = "backend=" + running_backend() + "\n";
        [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
        ::_exit(0);
    }
    ::close(pipe_ends[1]);
    std::string output;
    char chunk[512];
    for (ssize_t n; (n = ::read(pipe_ends[0], chunk, sizeof chunk)) > 0;) output.append(chunk, static_cast<std::size_t>(n));
    ::close(pipe_ends[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child failed: " << output;
    return output;
}

TEST_F(BackendTest, WhereTheKernelRefusesIoUringTheLoopRunsOnEpollAndSaysSo) {
    if (poll_build()) GTEST_SKIP() << "a poll() build has no other back-end to choose";
    const std::string output = stderr_of_a_loop_without_io_uring();
    EXPECT_NE(output.find("backend=epoll"), std::string::npos) << output;
    EXPECT_NE(output.find("io_uring unavailable ("), std::string::npos) << output;
    EXPECT_NE(output.find("): using epoll\n"), std::string::npos) << output;
}

// What only io_uring could get wrong: its polls hold a reference to the socket, so a closed
// listener's port must be free again at once (the poll removed, not left for the next pass).
asyncio::Task<> rebind_the_same_port(int rounds) {
    auto callback = [](asyncio::Stream stream) -> asyncio::Task<> { co_await stream.read(10); };  // until EOF
    asyncio::Server first = co_await asyncio::start_server(callback, "127.0.0.1", 0);
    const std::uint16_t port = first.port();
    first.close();
    co_await first.wait_closed();
    for (int i = 0; i < rounds; ++i) {
        asyncio::Server again = co_await asyncio::start_server(callback, "127.0.0.1", port);
        asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", port);
        client.close();
        co_await client.wait_closed();
        again.close();
        co_await again.wait_closed();
    }
}

TEST_F(BackendTest, AClosedListenersPortIsFreeAtOnce) { io_test::run(rebind_the_same_port(50)); }

// Descriptor numbers are reused at once; a completion meant for a closed socket must never
// reach the one that took its number (the io_uring back-end names sockets by slot and generation).
asyncio::Task<> many_short_connections(int count) {
    for (int i = 0; i < count; ++i) {
        auto [client, server] = co_await io_test::tcp_pair();
        const std::string line = "ping " + std::to_string(i) + "\n";
        client.write(line);
        co_await client.drain();
        EXPECT_EQ(co_await server.readline(), line);
        server.write(line);
        co_await server.drain();
        EXPECT_EQ(co_await client.readline(), line);
        server.close();
        EXPECT_EQ(co_await client.read(10), "") << "the EOF of connection " << i;
    }
}

TEST_F(BackendTest, ThousandsOfShortConnectionsEachSeeTheirOwnData) { io_test::run(many_short_connections(2000)); }

// --- sends in the background (io_uring; on epoll the same tests take the send() path) ---

namespace background {

std::string numbered_chunk(int i) { return std::to_string(i) + ":" + std::string(static_cast<std::size_t>(i % 700), 'x') + "\n"; }

// Many buffers, handed over while others are in flight, arrive whole and in order, and the FIN
// of close() comes after the last of them.
asyncio::Task<> every_byte_in_order(int chunks) {
    auto [sender, receiver] = co_await io_test::tcp_pair();
    sender.allow_background_sends();
    std::string expected;
    for (int i = 0; i < chunks; ++i) {
        const std::string chunk = numbered_chunk(i);
        expected += chunk;
        sender.write(chunk);
        if (i % 3 == 0) {
            (void)sender.try_flush();
        } else if (i % 7 == 0) {
            co_await sender.drain();
            EXPECT_EQ(sender.write_buffer_size(), 0u) << "drain() waits until the bytes have gone";
        }
    }
    sender.close();
    EXPECT_EQ(co_await receiver.read(-1), expected);
}
TEST_F(BackendTest, BackgroundSendsDeliverEveryByteInOrderAndTheFinLast) { io_test::run(every_byte_in_order(3000)); }

asyncio::Task<> reset_during_a_background_send() {
    auto [sender, receiver] = co_await io_test::tcp_pair();
    sender.allow_background_sends();
    sender.write(std::string(16 * 1024 * 1024, 'd'));  // far more than the peer's buffers take
    EXPECT_FALSE(sender.try_flush());
    io_test::reset(receiver);
    try {
        for (int i = 0; i < 100; ++i) {  // the reset reaches the sender after a pass or two
            co_await sender.drain();
            sender.write("more");
        }
        ADD_FAILURE() << "a reset must surface as std::system_error";
    } catch (const std::system_error& error) {
        const int code = error.code().value();
        EXPECT_TRUE(code == ECONNRESET || code == EPIPE) << error.what();
    }
}
TEST_F(BackendTest, APeerResetDuringABackgroundSendIsASystemError) { io_test::run(reset_during_a_background_send()); }

asyncio::Task<> abort_drops_a_background_send() {
    auto [sender, receiver] = co_await io_test::tcp_pair();
    sender.allow_background_sends();
    constexpr std::size_t kSize = 16 * 1024 * 1024;
    sender.write(std::string(kSize, 'z'));
    EXPECT_FALSE(sender.try_flush());
    EXPECT_GT(sender.write_buffer_size(), 64u * 1024) << "what is in flight is counted";
    sender.abort();
    EXPECT_EQ(sender.fd(), -1);
    EXPECT_EQ(sender.write_buffer_size(), 0u);
    std::size_t received = 0;
    try {
        received = (co_await receiver.read(-1)).size();
    } catch (const std::system_error&) {
        received = 0;  // the abort's reset
    }
    EXPECT_LT(received, kSize);
    co_await sender.wait_closed();
}
TEST_F(BackendTest, AbortDropsABackgroundSend) { io_test::run(abort_drops_a_background_send()); }

}  // namespace background

}  // namespace
