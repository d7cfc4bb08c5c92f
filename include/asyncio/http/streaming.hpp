#pragma once
// What long-lived push responses (a WebSocket, an event stream) share.

#include <cstddef>

namespace asyncio::http {

/// The kernel send buffer of a push connection, set with Stream::set_send_buffer_size(): 16 KiB,
/// which Linux doubles to 32 KiB. A subscriber that stops reading then holds at most that much
/// kernel memory (by default Linux lets the buffer grow to 4 MiB), and a write time-out around
/// drain() starts as soon as it is full.
inline constexpr std::size_t kStreamingSendBuffer = 16 * 1024;

}  // namespace asyncio::http
