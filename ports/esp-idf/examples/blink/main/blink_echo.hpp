#pragma once
// The example's asyncio part: two LEDs blinking at their own pace and a line echo server, as
// tasks of one loop. It includes no ESP-IDF header, so the io tests compile and run this very
// file on Linux (tests/io/esp_example_test.cpp); main.cpp only adds the board: GPIOs, Wi-Fi and
// app_main().
//
//   # MicroPython                                  // C++
//   async def blink(led, period):                  asyncio::Task<> blink(set_led, led, period) {
//       while True:                                    for (bool on = true;; on = !on) {
//           led.value(not led.value())                     set_led(led, on);
//           await asyncio.sleep_ms(period)                 co_await asyncio::sleep(period);

#include <asyncio/asyncio.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace blink_echo {

using namespace std::chrono_literals;

/// Turns LED number `led` on or off: gpio_set_level() on the board, a recorder in the tests.
/// Called on the loop's thread only.
using SetLed = void (*)(int led, bool on);

/// Blinks `led` forever: on for `half_period`, off for `half_period`. Cancelling it stops it.
inline asyncio::Task<> blink(SetLed set_led, int led, std::chrono::milliseconds half_period) {
    for (bool on = true;; on = !on) {
        set_led(led, on);
        co_await asyncio::sleep(half_period);
    }
}

/// Sends every line back until the client closes its side.
inline asyncio::Task<> echo(asyncio::Stream stream) {
    for (;;) {
        std::string line = co_await stream.readline();
        if (line.empty()) break;  // EOF
        stream.write(line);
        co_await stream.drain();
    }
    stream.close();
    co_await stream.wait_closed();
}

/// Starts the two blinking tasks (LEDs 0 and 1, 500 ms and 150 ms) and the echo server on
/// `host`:`port`, and returns the server (its port() tells the port when `port` is 0). The
/// blinkers run until the loop ends. A small backlog, as MicroPython's: lwIP keeps few
/// half-open connections.
inline asyncio::Task<asyncio::Server> start_board(SetLed set_led, std::string host, std::uint16_t port) {
    asyncio::create_task(blink(set_led, 0, 500ms));
    asyncio::create_task(blink(set_led, 1, 150ms));
    asyncio::Server server = co_await asyncio::start_server(echo, std::move(host), port, 5);
    co_return server;
}

}  // namespace blink_echo
