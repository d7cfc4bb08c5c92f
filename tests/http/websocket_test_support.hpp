#pragma once
// Helpers shared by the WebSocket tests that talk to an HttpServer over 127.0.0.1.

#include <asyncio/core/task.hpp>
#include <asyncio/io/stream.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace websocket_test {

/// Connects to /ws on 127.0.0.1:`port` and completes the opening handshake (a 101 is expected).
/// What follows is the caller's to read, or not: a client that never reads makes a server that
/// keeps writing block once the socket buffers are full.
inline asyncio::Task<asyncio::Stream> open_websocket(std::uint16_t port) {
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", port);
    client.write(
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    co_await client.drain();
    const std::string head = co_await client.readuntil("\r\n\r\n");
    EXPECT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
    co_return client;
}

}  // namespace websocket_test
