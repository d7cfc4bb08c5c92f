// Stream: reading (read, readexactly, readline, readuntil, the in-place buffer API), writing
// (write, drain, write_eof, close), over real TCP connections on 127.0.0.1.
#include <asyncio/io/stream.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/gather.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <netinet/tcp.h>

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "io/io_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using StreamTest = io_test::IoTest;

/// drain() as a task of its own, for data larger than the socket buffers (the peer reads meanwhile).
asyncio::Task<> drain(asyncio::Stream& stream) { co_await stream.drain(); }

// --- read(n) ---

asyncio::Task<> read_returns_at_most_n_bytes() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("hello world");
    co_await client.drain();
    EXPECT_EQ(co_await server.read(5), "hello");
    EXPECT_EQ(co_await server.read(100), " world");  // what is there: no wait for 100 bytes
    EXPECT_EQ(co_await server.read(0), "");
    client.close();
    EXPECT_EQ(co_await server.read(100), "");  // EOF
    EXPECT_EQ(co_await server.read(100), "");  // and again
    EXPECT_TRUE(server.at_eof());
}
TEST_F(StreamTest, ReadReturnsAtMostNBytesAndEmptyAtEof) { io_test::run(read_returns_at_most_n_bytes()); }

asyncio::Task<> send_in_pieces(asyncio::Stream& stream) {
    for (const char* piece : {"one ", "two ", "three"}) {
        stream.write(piece);
        co_await stream.drain();
        co_await asyncio::sleep(5ms);
    }
    stream.close();
}

asyncio::Task<> read_all_until_eof() {
    auto [client, server] = co_await io_test::tcp_pair();
    auto sender = asyncio::create_task(send_in_pieces(client));
    EXPECT_EQ(co_await server.read(), "one two three");
    co_await sender;
}
TEST_F(StreamTest, ReadWithoutSizeReadsUntilEof) { io_test::run(read_all_until_eof()); }

// --- readexactly ---

asyncio::Task<> readexactly_takes_exact_sizes() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("abcdefgh");
    co_await client.drain();
    EXPECT_EQ(co_await server.readexactly(5), "abcde");
    EXPECT_EQ(co_await server.readexactly(0), "");
    EXPECT_EQ(co_await server.readexactly(3), "fgh");
}
TEST_F(StreamTest, ReadexactlyReturnsExactlyN) { io_test::run(readexactly_takes_exact_sizes()); }

asyncio::Task<> readexactly_at_eof() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("abc");
    client.close();
    try {
        (void)co_await server.readexactly(10);
        ADD_FAILURE() << "IncompleteReadError expected";
    } catch (const asyncio::IncompleteReadError& error) {
        EXPECT_EQ(error.partial, "abc");
        EXPECT_EQ(error.expected, 10u);
    }
    EXPECT_TRUE(server.at_eof());
    EXPECT_THROW((void)co_await server.readexactly(1), asyncio::IncompleteReadError);
}
TEST_F(StreamTest, ReadexactlyAtEofRaisesIncompleteReadWithThePartialBytes) { io_test::run(readexactly_at_eof()); }

// --- readline / readuntil ---

asyncio::Task<> readline_keeps_newline() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("a\nbb\n\nccc");
    client.close();
    EXPECT_EQ(co_await server.readline(), "a\n");
    EXPECT_EQ(co_await server.readline(), "bb\n");
    EXPECT_EQ(co_await server.readline(), "\n");
    EXPECT_EQ(co_await server.readline(), "ccc");  // the last, unterminated line
    EXPECT_EQ(co_await server.readline(), "");     // then empty at EOF
    EXPECT_EQ(co_await server.readline(), "");
}
TEST_F(StreamTest, ReadlineKeepsNewlineReturnsLastPartialLineThenEmpty) { io_test::run(readline_keeps_newline()); }

asyncio::Task<> send_line_slowly(asyncio::Stream& stream) {
    for (const char* piece : {"GET / HT", "TP/1.1\r\nHost: x\r\n\r", "\nBODY"}) {
        stream.write(piece);
        co_await stream.drain();
        co_await asyncio::sleep(5ms);
    }
}

asyncio::Task<> readuntil_across_chunks() {
    auto [client, server] = co_await io_test::tcp_pair();
    auto sender = asyncio::create_task(send_line_slowly(client));
    EXPECT_EQ(co_await server.readuntil("\r\n\r\n"), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    co_await sender;
    EXPECT_EQ(co_await server.readexactly(4), "BODY");
}
TEST_F(StreamTest, ReaduntilFindsASeparatorSplitAcrossReceives) { io_test::run(readuntil_across_chunks()); }

asyncio::Task<> readuntil_at_eof() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("no separator here");
    client.close();
    try {
        (void)co_await server.readuntil("\r\n");
        ADD_FAILURE() << "IncompleteReadError expected";
    } catch (const asyncio::IncompleteReadError& error) {
        EXPECT_EQ(error.partial, "no separator here");
    }
    EXPECT_THROW((void)co_await server.readuntil(""), std::invalid_argument);
}
TEST_F(StreamTest, ReaduntilAtEofRaisesIncompleteRead) { io_test::run(readuntil_at_eof()); }

asyncio::Task<> send_separator_split_at_the_limit(asyncio::Stream& stream) {
    for (const char* piece : {"xxxx\r", "\nrest"}) {
        stream.write(piece);
        co_await stream.drain();
        co_await asyncio::sleep(5ms);
    }
}

// Found by fuzz/stream_readline_fuzz.cpp: the result must not depend on how TCP splits the bytes.
asyncio::Task<> readuntil_separator_starting_at_the_limit() {
    auto [client, server] = co_await io_test::tcp_pair();
    server.set_limit(4);
    auto sender = asyncio::create_task(send_separator_split_at_the_limit(client));
    EXPECT_EQ(co_await server.readuntil("\r\n"), "xxxx\r\n");  // starts within 4 bytes: accepted
    co_await sender;
    EXPECT_EQ(co_await server.readexactly(4), "rest");
}
TEST_F(StreamTest, ReaduntilAcceptsASeparatorStartingWithinTheLimitWhenItArrivesSplit) {
    io_test::run(readuntil_separator_starting_at_the_limit());
}

asyncio::Task<> readline_above_limit() {
    auto [client, server] = co_await io_test::tcp_pair();
    EXPECT_EQ(server.limit(), asyncio::Stream::kDefaultLimit);
    client.write(std::string(100 * 1024, 'x'));  // no newline within 64 KiB
    client.write("\nnext\n");
    auto sending = asyncio::create_task(drain(client));
    try {
        (void)co_await server.readline();
        ADD_FAILURE() << "LimitOverrunError expected";
    } catch (const asyncio::LimitOverrunError& error) {
        EXPECT_GT(error.consumed, asyncio::Stream::kDefaultLimit);
    }
    // The data stays buffered (as in CPython): the caller may discard it and go on.
    EXPECT_GT(server.buffered().size(), asyncio::Stream::kDefaultLimit);
    server.consume(server.buffered().find('\n') + 1);
    EXPECT_EQ(co_await server.readline(), "next\n");
    co_await sending;
}
TEST_F(StreamTest, ReadlineAboveTheLimitRaisesLimitOverrun) { io_test::run(readline_above_limit()); }

asyncio::Task<> readline_limit_when_separator_arrives_with_the_chunk() {
    auto [client, server] = co_await io_test::tcp_pair();
    server.set_limit(10);
    client.write("0123456789\n");  // 10 bytes before the separator: allowed
    client.write(std::string(50, 'y') + "\n");  // found, but beyond the limit
    co_await client.drain();
    EXPECT_EQ(co_await server.readline(), "0123456789\n");
    EXPECT_THROW((void)co_await server.readline(), asyncio::LimitOverrunError);
}
TEST_F(StreamTest, ReadlineFindingTheSeparatorBeyondTheLimitRaisesLimitOverrun) {
    io_test::run(readline_limit_when_separator_arrives_with_the_chunk());
}

// --- the in-place buffer API ---

asyncio::Task<> receive_buffered_consume() {
    auto [client, server] = co_await io_test::tcp_pair();
    EXPECT_EQ(server.try_receive(), std::nullopt);  // nothing there: no wait
    client.write("abc");
    co_await client.drain();
    EXPECT_EQ(co_await server.receive(), 3u);
    EXPECT_EQ(server.buffered(), "abc");
    server.consume(1);
    EXPECT_EQ(server.buffered(), "bc");
    server.consume(100);  // more than there is: empties the buffer
    EXPECT_EQ(server.buffered(), "");
    client.close();
    EXPECT_EQ(co_await server.receive(), 0u);  // EOF
    EXPECT_EQ(server.try_receive(), std::optional<std::size_t>(0));
}
TEST_F(StreamTest, ReceiveBufferedConsume) { io_test::run(receive_buffered_consume()); }

// --- writing ---

asyncio::Task<> write_buffers_until_drain() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("buffered ");
    client.write("only");
    EXPECT_EQ(client.write_buffer_size(), 13u);
    co_await asyncio::sleep(5ms);
    EXPECT_EQ(server.try_receive(), std::nullopt);  // write() sent nothing
    co_await client.drain();
    EXPECT_EQ(client.write_buffer_size(), 0u);
    EXPECT_EQ(co_await server.readexactly(13), "buffered only");
    co_await client.drain();  // nothing to send: returns at once
}
TEST_F(StreamTest, WriteOnlyBuffersAndDrainSends) { io_test::run(write_buffers_until_drain()); }

asyncio::Task<> half_close() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("request");
    co_await client.write_eof();
    EXPECT_EQ(co_await server.read(), "request");  // until the client's EOF
    EXPECT_TRUE(server.at_eof());
    server.write("response");  // the other direction still works
    co_await server.drain();
    server.close();
    co_await server.wait_closed();
    EXPECT_EQ(co_await client.read(), "response");
}
TEST_F(StreamTest, WriteEofHalfClosesThePeerReadsEofAndStillSendsBack) { io_test::run(half_close()); }

asyncio::Task<> write_eof_with_nothing_buffered() {
    auto [client, server] = co_await io_test::tcp_pair();
    co_await client.write_eof();
    EXPECT_EQ(co_await server.read(10), "");
    server.write("still here");
    co_await server.drain();
    EXPECT_EQ(co_await client.readexactly(10), "still here");
}
TEST_F(StreamTest, WriteEofWithAnEmptyBufferShutsDownAtOnce) { io_test::run(write_eof_with_nothing_buffered()); }

asyncio::Task<> close_delivers_buffered_data() {
    auto [client, server] = co_await io_test::tcp_pair();
    constexpr std::size_t kSize = 16 * 1024 * 1024;  // far more than the socket buffers hold
    client.write(std::string(kSize, 'z'));
    client.close();  // returns at once; the data goes out in the background
    EXPECT_TRUE(client.is_closing());
    EXPECT_THROW(client.write("late"), asyncio::InvalidStateError);
    std::size_t received = 0;
    while (co_await server.receive() != 0) {
        received += server.buffered().size();
        server.consume(server.buffered().size());
    }
    EXPECT_EQ(received, kSize);
    co_await client.wait_closed();
}
TEST_F(StreamTest, CloseStillDeliversBufferedDataThenCloses) { io_test::run(close_delivers_buffered_data()); }

/// Counts what arrives until EOF (or a reset).
asyncio::Task<std::size_t> receive_to_end(asyncio::Stream& stream) {
    std::size_t received = 0;
    try {
        while (co_await stream.receive() != 0) {
            received += stream.buffered().size();
            stream.consume(stream.buffered().size());
        }
    } catch (const std::system_error&) {
        // A reset ends it too.
    }
    co_return received;
}

asyncio::Task<> abort_closes_at_once() {
    auto [client, server] = co_await io_test::tcp_pair();
    constexpr std::size_t kSize = 16 * 1024 * 1024;  // far more than the socket buffers hold
    client.write(std::string(kSize, 'z'));
    EXPECT_FALSE(client.try_flush());
    client.abort();
    EXPECT_TRUE(client.is_closing());
    EXPECT_EQ(client.fd(), -1);  // closed now, not once the output is delivered
    EXPECT_EQ(client.write_buffer_size(), 0u);
    EXPECT_THROW(client.write("late"), asyncio::InvalidStateError);
    EXPECT_LT(co_await receive_to_end(server), kSize);  // only what the kernel had taken
    co_await client.wait_closed();
}
TEST_F(StreamTest, AbortClosesAtOnceAndDropsUnsentOutput) { io_test::run(abort_closes_at_once()); }

asyncio::Task<> abort_ends_a_background_flush() {
    auto [client, server] = co_await io_test::tcp_pair();
    constexpr std::size_t kSize = 16 * 1024 * 1024;
    client.write(std::string(kSize, 'z'));
    client.close();  // the peer does not read: close() keeps flushing in the background...
    EXPECT_NE(client.fd(), -1);
    client.abort();  // ...until abort() gives up on it
    EXPECT_EQ(client.fd(), -1);
    co_await client.wait_closed();
    EXPECT_LT(co_await receive_to_end(server), kSize);
}
TEST_F(StreamTest, AbortEndsTheBackgroundFlushOfClose) { io_test::run(abort_ends_a_background_flush()); }

asyncio::Task<> closed_stream_operations() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.close();
    co_await client.wait_closed();
    EXPECT_EQ(client.fd(), -1);
    EXPECT_EQ(co_await client.read(10), "");  // a closed stream reads as EOF
    EXPECT_THROW(client.write("x"), asyncio::InvalidStateError);
    EXPECT_THROW((void)client.drain(), asyncio::InvalidStateError);
    client.close();  // twice: nothing happens
}
TEST_F(StreamTest, OperationsOnAClosedStream) { io_test::run(closed_stream_operations()); }

asyncio::Task<> extra_info_and_options() {
    auto [client, server] = co_await io_test::tcp_pair();
    EXPECT_EQ(server.get_extra_info("peername"), client.get_extra_info("sockname"));
    EXPECT_EQ(client.peername().host(), "127.0.0.1");
    EXPECT_EQ(server.get_extra_info("nonsense"), "");
    server.set_keepalive(true);
    server.set_nodelay(false);
    int value = 0;
    socklen_t length = sizeof value;
    ::getsockopt(server.fd(), SOL_SOCKET, SO_KEEPALIVE, &value, &length);
    EXPECT_EQ(value, 1);
    ::getsockopt(server.fd(), IPPROTO_TCP, TCP_NODELAY, &value, &length);
    EXPECT_EQ(value, 0);
    ::getsockopt(client.fd(), IPPROTO_TCP, TCP_NODELAY, &value, &length);
    EXPECT_EQ(value, 1) << "open_connection() turns Nagle off";
    co_return;
}
TEST_F(StreamTest, ExtraInfoAndSocketOptions) { io_test::run(extra_info_and_options()); }

asyncio::Task<> capped_send_buffer() {
    auto [client, server] = co_await io_test::tcp_pair();
    int before = 0;
    socklen_t length = sizeof before;
    ::getsockopt(server.fd(), SOL_SOCKET, SO_SNDBUF, &before, &length);
    server.set_send_buffer_size(16 * 1024);
    int after = 0;
    ::getsockopt(server.fd(), SOL_SOCKET, SO_SNDBUF, &after, &length);
    EXPECT_EQ(after, 2 * 16 * 1024) << "Linux doubles SO_SNDBUF for its bookkeeping";
    EXPECT_NE(after, before);
    EXPECT_THROW(server.set_send_buffer_size(0), std::invalid_argument);
    co_return;
}
TEST_F(StreamTest, SendBufferCanBeCapped) { io_test::run(capped_send_buffer()); }

// --- a large transfer each way, through drain, with bounded memory ---

/// A deterministic byte stream, and an order-sensitive checksum (FNV-1a) of what passed.
struct Pattern {
    std::uint64_t state = 0x9E3779B97F4A7C15ull;
    void fill(std::string& chunk) {
        for (std::size_t i = 0; i + 8 <= chunk.size(); i += 8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            std::memcpy(chunk.data() + i, &state, 8);
        }
    }
};
struct Checksum {
    std::uint64_t value = 0xcbf29ce484222325ull;
    std::uint64_t bytes = 0;
    void add(std::string_view data) {
        for (const char c : data) value = (value ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
        bytes += data.size();
    }
};

constexpr std::uint64_t kTransferBytes = 100ull * 1024 * 1024;

asyncio::Task<> echo_handler(asyncio::Stream stream) {
    for (;;) {
        std::string data = co_await stream.read(64 * 1024);
        if (data.empty()) break;
        stream.write(std::move(data));
        co_await stream.drain();
    }
    stream.close();
    co_await stream.wait_closed();
}

/// Writes `total` bytes of `pattern` in chunks of `chunk_size`, draining after each; their checksum.
asyncio::Task<Checksum> write_pattern(asyncio::Stream& stream, Pattern pattern, std::uint64_t total,
                                      std::size_t chunk_size) {
    Checksum sent;
    std::string chunk(chunk_size, '\0');
    while (sent.bytes < total) {
        pattern.fill(chunk);
        sent.add(chunk);
        stream.write(chunk);
        co_await stream.drain();
    }
    co_return sent;
}

asyncio::Task<Checksum> send_pattern(asyncio::Stream& stream) {
    const Checksum sent = co_await write_pattern(stream, Pattern{}, kTransferBytes, 64 * 1024);
    co_await stream.write_eof();
    co_return sent;
}

asyncio::Task<Checksum> receive_all(asyncio::Stream& stream, std::int64_t* peak_rss) {
    Checksum received;
    std::uint64_t next_sample = 0;
    for (;;) {
        std::string data = co_await stream.read(64 * 1024);
        if (data.empty()) break;
        received.add(data);
        if (received.bytes >= next_sample) {
            *peak_rss = std::max(*peak_rss, io_test::memory_in_use());
            next_sample += 1024 * 1024;
        }
    }
    co_return received;
}

asyncio::Task<> transfer_100_mb() {
    auto server = co_await asyncio::start_server(echo_handler, "127.0.0.1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    const std::int64_t rss_before = io_test::memory_in_use();
    std::int64_t peak_rss = rss_before;
    auto [sent, received] = co_await asyncio::gather(send_pattern(client), receive_all(client, &peak_rss));
    EXPECT_EQ(sent.bytes, kTransferBytes);
    EXPECT_EQ(received.bytes, kTransferBytes);
    EXPECT_EQ(received.value, sent.value) << "the echoed bytes differ from the sent ones";
    EXPECT_LT(peak_rss - rss_before, 48 * 1024 * 1024) << "memory grew with the transfer";
    std::printf("[          ] memory before %lld KiB, peak %lld KiB\n", static_cast<long long>(rss_before / 1024),
                static_cast<long long>(peak_rss / 1024));
    client.close();
    server.close();
    co_await server.wait_closed();
}
TEST_F(StreamTest, Transfer100MBEachWayThroughDrainWithBoundedMemory) { io_test::run(transfer_100_mb(), 120s); }

// Many connections sending at once to readers that take small bites and pause: each reader gets
// its own bytes, in order, to the last one. (On io_uring this is more than the loop's ring of
// receive buffers holds, so slow readers give theirs up and receive with recv() for a while.)
constexpr int kConcurrentSenders = 48;
constexpr std::uint64_t kBytesPerSender = 512 * 1024;

asyncio::Task<> checksum_slowly(asyncio::Stream stream) {
    Checksum received;
    for (int reads = 1;; ++reads) {
        std::string data = co_await stream.read(1500);
        if (data.empty()) break;
        received.add(data);
        if (reads % 16 == 0) co_await asyncio::sleep(2ms);
    }
    stream.write(std::to_string(received.bytes) + " " + std::to_string(received.value) + "\n");
    co_await stream.drain();
    stream.close();
}

asyncio::Task<> send_seeded_pattern(std::uint16_t port, std::uint64_t seed) {
    asyncio::Stream stream = co_await asyncio::open_connection("127.0.0.1", port);
    co_await asyncio::sleep(20ms);  // every reader waits by now: on io_uring, in the background
    const Checksum sent = co_await write_pattern(stream, Pattern{.state = seed}, kBytesPerSender, 32 * 1024);
    co_await stream.write_eof();
    const std::string answer = co_await stream.readline();
    EXPECT_EQ(answer, std::to_string(sent.bytes) + " " + std::to_string(sent.value) + "\n")
        << "the server read other bytes than this connection sent";
    stream.close();
}

asyncio::Task<> many_senders_at_once() {
    auto server = co_await asyncio::start_server(checksum_slowly, "127.0.0.1", 0);
    std::vector<asyncio::Task<>> senders;
    for (int i = 0; i < kConcurrentSenders; ++i) {
        senders.push_back(asyncio::create_task(send_seeded_pattern(server.port(), 0x9E3779B97F4A7C15ull + i)));
    }
    for (auto& sender : senders) co_await sender;
    server.close();
    co_await server.wait_closed();
}
TEST_F(StreamTest, ManyConnectionsSendingAtOnceEachReadTheirOwnBytesInOrder) {
    io_test::run(many_senders_at_once(), 120s);
}

// A peer that sends and hangs up at once, while the reader is already waiting: the reader gets
// every byte, then the end of the stream, never the end first.
asyncio::Task<> send_and_hang_up(asyncio::Stream& stream, std::string data) {
    co_await asyncio::sleep(10ms);  // the reader waits by now
    stream.write(std::move(data));
    stream.close();
    co_await stream.wait_closed();
}

asyncio::Task<> data_then_hang_up() {
    for (int round = 0; round < 20; ++round) {
        auto [client, server] = co_await io_test::tcp_pair();
        std::string data(200 * 1024 + round, 'x');
        auto sender = asyncio::create_task(send_and_hang_up(client, data));
        std::size_t received = 0;
        for (;;) {
            const std::string chunk = co_await server.read(4096);
            if (chunk.empty()) break;
            received += chunk.size();
        }
        co_await sender;
        EXPECT_EQ(received, data.size()) << "round " << round;
    }
}
TEST_F(StreamTest, DataSentJustBeforeAHangUpIsAllReadBeforeTheEnd) { io_test::run(data_then_hang_up(), 120s); }

// Reading line by line never empties the buffer (a partial line stays): the consumed part must
// not pile up in front of it.
asyncio::Task<> send_lines(asyncio::Stream& stream, std::size_t total) {
    std::string block;
    for (int i = 0; i < 1000; ++i) block += "line " + std::to_string(i) + " of a long stream of lines\n";
    std::size_t sent = 0;
    while (sent < total) {
        stream.write(block);
        sent += block.size();
        co_await stream.drain();
    }
    stream.close();
}

asyncio::Task<> line_by_line_stays_bounded() {
    auto [client, server] = co_await io_test::tcp_pair();
    constexpr std::size_t kTotal = 64 * 1024 * 1024;
    auto sender = asyncio::create_task(send_lines(client, kTotal));
    const std::int64_t rss_before = io_test::memory_in_use();
    std::int64_t peak = rss_before;
    std::size_t lines = 0;
    std::size_t bytes = 0;
    std::size_t receives = 0;
    for (;;) {
        // The in-place API: find a line in buffered(), consume it, receive when none is there.
        const std::string_view data = server.buffered();
        const std::size_t end = data.find('\n');
        if (end != std::string_view::npos) {
            ++lines;
            bytes += end + 1;
            server.consume(end + 1);
            continue;
        }
        if (co_await server.receive() == 0) break;
        if (++receives % 64 == 0) peak = std::max(peak, io_test::memory_in_use());
    }
    co_await sender;
    EXPECT_GE(bytes, kTotal);
    EXPECT_GT(lines, kTotal / 64);
    EXPECT_LT(peak - rss_before, 24 * 1024 * 1024) << "the consumed prefix of the buffer piled up";
}
TEST_F(StreamTest, ReadingLineByLineKeepsTheBufferBounded) { io_test::run(line_by_line_stays_bounded(), 120s); }

}  // namespace
