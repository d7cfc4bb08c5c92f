// The ESP32 example's asyncio part (ports/esp-idf/examples/blink/main/blink_echo.hpp), compiled and
// run here on Linux: the two LEDs keep blinking while a client sits idle on the echo server, and
// the server sends back what it gets. On the board the same header runs with gpio_set_level().
#include "../../ports/esp-idf/examples/blink/main/blink_echo.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "io/io_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using EspExampleTest = io_test::IoTest;

/// What the example did to its LEDs, in order: {led, on}.
std::vector<std::pair<int, bool>> g_led_changes;
void record_led(int led, bool on) { g_led_changes.emplace_back(led, on); }

std::vector<bool> states_of(int led) {
    std::vector<bool> states;
    for (const auto& [which, on] : g_led_changes) {
        if (which == led) states.push_back(on);
    }
    return states;
}

bool alternates_starting_on(const std::vector<bool>& states) {
    for (std::size_t i = 0; i < states.size(); ++i) {
        if (states[i] != (i % 2 == 0)) return false;
    }
    return true;
}

asyncio::Task<std::string> blink_while_a_client_idles_then_echo() {
    asyncio::Server server = co_await blink_echo::start_board(record_led, "127.0.0.1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    co_await asyncio::sleep(700ms);  // the client says nothing: the LEDs must not wait for it
    client.write("hello\n");
    client.write("board\n");
    co_await client.drain();
    std::string echoed = co_await client.readline();
    std::string second = co_await client.readline();
    echoed += second;
    client.close();
    co_await client.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return echoed;
}

TEST_F(EspExampleTest, LedsBlinkAtTheirOwnPaceWhileTheEchoServerServes) {
    g_led_changes.clear();
    EXPECT_EQ(io_test::run(blink_while_a_client_idles_then_echo()), "hello\nboard\n");
    const std::vector<bool> slow = states_of(0);  // 500 ms: on at 0, off at 500 ms
    const std::vector<bool> fast = states_of(1);  // 150 ms: 0, 150, 300, 450, 600 ms...
    EXPECT_GE(slow.size(), 2u);
    EXPECT_GE(fast.size(), 4u);
    EXPECT_GT(fast.size(), slow.size());
    EXPECT_TRUE(alternates_starting_on(slow));
    EXPECT_TRUE(alternates_starting_on(fast));
}

}  // namespace
