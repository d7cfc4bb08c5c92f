// Cancellation in each wait of the io layer (accept, read, readline, readexactly, drain, connect),
// both through wait_for() and through cancel(): the wait is unregistered from the poller, the
// stream stays usable with its data, and nothing leaks (the fixture counts descriptors).
#include <asyncio/io/stream.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>

#include <string>
#include <vector>

#include "io/io_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using CancellationTest = io_test::IoTest;

/// Whether any task still waits on a descriptor.
bool io_pending() { return asyncio::get_event_loop().platform().has_pending_io(); }

asyncio::Task<std::string> read_some(asyncio::Stream& stream) { co_return co_await stream.read(100); }
asyncio::Task<std::string> read_line(asyncio::Stream& stream) { co_return co_await stream.readline(); }

/// Starts `task`, lets it reach its wait, cancels it; true if it ended with CancelledError.
template <class T>
asyncio::Task<bool> cancel_while_waiting(asyncio::Task<T> task) {
    auto running = asyncio::create_task(std::move(task));
    co_await asyncio::sleep(10ms);
    EXPECT_TRUE(io_pending()) << "the task waits on the poller";
    running.cancel();
    EXPECT_FALSE(io_pending()) << "cancel() unregistered the wait at once";
    try {
        co_await running;
    } catch (const asyncio::CancelledError&) {
        co_return running.cancelled();
    }
    co_return false;
}

// --- read ---

asyncio::Task<> cancel_read() {
    auto [client, server] = co_await io_test::tcp_pair();
    EXPECT_THROW((void)co_await asyncio::wait_for(server.read(100), 20ms), asyncio::TimeoutError);
    EXPECT_FALSE(io_pending());
    EXPECT_TRUE(co_await cancel_while_waiting(read_some(server)));
    client.write("still usable");
    co_await client.drain();
    EXPECT_EQ(co_await server.read(100), "still usable");
}
TEST_F(CancellationTest, CancellingReadUnregistersAndKeepsTheStreamUsable) { io_test::run(cancel_read()); }

asyncio::Task<> cancel_readline_keeps_partial_line() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("abc");
    co_await client.drain();
    EXPECT_THROW((void)co_await asyncio::wait_for(server.readline(), 20ms), asyncio::TimeoutError);
    EXPECT_FALSE(io_pending());
    EXPECT_EQ(server.buffered(), "abc") << "what was read stays buffered";
    EXPECT_TRUE(co_await cancel_while_waiting(read_line(server)));
    client.write("def\n");
    co_await client.drain();
    EXPECT_EQ(co_await server.readline(), "abcdef\n");
}
TEST_F(CancellationTest, CancellingReadlineKeepsThePartialLine) { io_test::run(cancel_readline_keeps_partial_line()); }

asyncio::Task<> cancel_readexactly() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("12345");
    co_await client.drain();
    EXPECT_THROW((void)co_await asyncio::wait_for(server.readexactly(10), 20ms), asyncio::TimeoutError);
    EXPECT_FALSE(io_pending());
    client.write("67890");
    co_await client.drain();
    EXPECT_EQ(co_await server.readexactly(10), "1234567890");
}
TEST_F(CancellationTest, CancellingReadexactlyKeepsWhatWasRead) { io_test::run(cancel_readexactly()); }

asyncio::Task<std::size_t> receive_in_place(asyncio::Stream& stream) { co_return co_await stream.receive(); }

asyncio::Task<> cancel_receive() {
    auto [client, server] = co_await io_test::tcp_pair();
    EXPECT_THROW((void)co_await asyncio::wait_for(server.receive(), 20ms), asyncio::TimeoutError);
    EXPECT_TRUE(co_await cancel_while_waiting(receive_in_place(server)));
    EXPECT_FALSE(io_pending());
}
TEST_F(CancellationTest, CancellingReceiveUnregisters) { io_test::run(cancel_receive()); }

// --- drain ---

asyncio::Task<> drain_in_task(asyncio::Stream& stream) { co_await stream.drain(); }

asyncio::Task<> cancel_drain() {
    auto [client, server] = co_await io_test::tcp_pair();
    constexpr std::size_t kSize = 16 * 1024 * 1024;  // more than the socket buffers hold
    server.write(std::string(kSize, 'q'));
    EXPECT_THROW(co_await asyncio::wait_for(server.drain(), 20ms), asyncio::TimeoutError);
    EXPECT_FALSE(io_pending());
    EXPECT_GT(server.write_buffer_size(), 0u) << "unsent data stays buffered";
    EXPECT_TRUE(co_await cancel_while_waiting(drain_in_task(server)));
    // Drain again while the peer reads everything: all of it arrives.
    auto draining = asyncio::create_task(drain_in_task(server));
    std::size_t received = 0;
    while (received < kSize) {
        if (co_await client.receive() == 0) break;
        received += client.buffered().size();
        client.consume(client.buffered().size());
    }
    co_await draining;
    EXPECT_EQ(received, kSize);
}
TEST_F(CancellationTest, CancellingDrainKeepsTheUnsentData) { io_test::run(cancel_drain()); }

// --- accept ---

asyncio::Task<> never_called(asyncio::Stream) {
    ADD_FAILURE() << "no client connects";
    co_return;
}

asyncio::Task<> cancel_accept() {
    auto server = co_await asyncio::start_server(never_called, "127.0.0.1", 0);
    co_await asyncio::sleep(1ms);
    EXPECT_TRUE(io_pending()) << "the server waits in accept";
    server.close();  // cancels the accept task
    EXPECT_FALSE(io_pending());
    co_await asyncio::wait_for(server.wait_closed(), 1s);
}
TEST_F(CancellationTest, ClosingAServerCancelsItsAcceptWait) { io_test::run(cancel_accept()); }

asyncio::Task<> serve_in_task(std::uint16_t* port) {
    auto server = co_await asyncio::start_server(never_called, "127.0.0.1", 0);
    *port = server.port();
    co_await server.serve_forever();
}

asyncio::Task<> cancel_task_owning_server() {
    std::uint16_t port = 0;
    auto serving = asyncio::create_task(serve_in_task(&port));
    co_await asyncio::sleep(5ms);
    EXPECT_NE(port, 0);
    serving.cancel();
    EXPECT_THROW(co_await serving, asyncio::CancelledError);
    co_await asyncio::sleep(1ms);  // the accept task sees its cancellation
    EXPECT_FALSE(io_pending());
    EXPECT_THROW((void)co_await asyncio::open_connection("127.0.0.1", port), std::system_error)
        << "the server's port was closed with it";
}
TEST_F(CancellationTest, CancellingTheTaskThatOwnsAServerClosesIt) { io_test::run(cancel_task_owning_server()); }

// --- connect ---

/// A listener whose accept queue is full: the kernel drops further SYNs, so a connect to it waits.
class FullBacklog {
public:
    FullBacklog() : m_listener(0) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(m_listener.port());
        for (int i = 0; i < 8; ++i) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
            m_fillers.push_back(fd);
        }
    }
    FullBacklog(const FullBacklog&) = delete;
    FullBacklog& operator=(const FullBacklog&) = delete;
    ~FullBacklog() {
        for (const int fd : m_fillers) ::close(fd);
    }
    [[nodiscard]] std::uint16_t port() const noexcept { return m_listener.port(); }

private:
    io_test::RawListener m_listener;
    std::vector<int> m_fillers;
};

asyncio::Task<asyncio::Stream> connect_to(std::uint16_t port) { co_return co_await asyncio::open_connection("127.0.0.1", port); }

asyncio::Task<> cancel_connect() {
    FullBacklog full;
    co_await asyncio::sleep(5ms);
    EXPECT_THROW((void)co_await asyncio::wait_for(asyncio::open_connection("127.0.0.1", full.port()), 100ms),
                 asyncio::TimeoutError);
    EXPECT_FALSE(io_pending());
    EXPECT_TRUE(co_await cancel_while_waiting(connect_to(full.port())));
}
TEST_F(CancellationTest, CancellingAConnectClosesItsSocket) { io_test::run(cancel_connect()); }

}  // namespace
