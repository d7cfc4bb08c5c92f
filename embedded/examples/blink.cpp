// Two tasks blinking at different rates, the "hello world" of cooperative scheduling on a
// microcontroller. A line on the semihosting console stands in for each LED change.
//
// MicroPython:                                  C++ with asyncio-cpp:
//   async def blink(led, period_ms):              asyncio::Task<> blink(Led led, milliseconds period) {
//       while True:                                   for (;;) {
//           led.toggle()                                  led.toggle();
//           await asyncio.sleep_ms(period_ms)             co_await asyncio::sleep(period);
//                                                     }
//                                                 }
// Here each task blinks a fixed number of times so that the program ends (and CI can check it):
// led1 every 70 ms, 10 times; led2 every 110 ms, 6 times; main checks that both are done and that
// the loop's clock moved as the timers said.

#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include "semihosting.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>

using namespace std::chrono_literals;

namespace {

/// Stands in for a GPIO pin: prints "<ms> led1 on".
class Led {
public:
    explicit Led(const char* name) noexcept : m_name(name) {}
    void toggle() noexcept {
        m_on = !m_on;
        ++m_toggles;
        char line[48];
        char* p = format_ms(line, asyncio::get_event_loop().time());
        *p++ = ' ';
        for (const char* s = m_name; *s != '\0';) *p++ = *s++;
        for (const char* s = m_on ? " on\n" : " off\n"; *s != '\0';) *p++ = *s++;
        *p = '\0';
        asyncio::port::semihost_write(line);
    }
    [[nodiscard]] int toggles() const noexcept { return m_toggles; }

private:
    static char* format_ms(char* out, asyncio::TimePoint t) noexcept {
        auto ms = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
        char digits[12];
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + ms % 10);
            ms /= 10;
        } while (ms != 0);
        while (n < 6) digits[n++] = ' ';
        while (n > 0) *out++ = digits[--n];
        *out++ = ' ';
        *out++ = 'm';
        *out++ = 's';
        return out;
    }
    const char* m_name;
    bool m_on = false;
    int m_toggles = 0;
};

void write_measure(const char* what, std::size_t value) noexcept {
    char line[64];
    char* p = line;
    for (const char* s = "MEASURE "; *s != '\0';) *p++ = *s++;
    for (const char* s = what; *s != '\0';) *p++ = *s++;
    *p++ = '=';
    char digits[12];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0) *p++ = digits[--n];
    *p++ = '\n';
    *p = '\0';
    asyncio::port::semihost_write(line);
}

asyncio::Task<> blink(Led& led, std::chrono::milliseconds period, int times) {
    for (int i = 0; i < times; ++i) {
        led.toggle();
        co_await asyncio::sleep(period);
    }
}

Led led1("led1");
Led led2("led2");

asyncio::Task<int> main_task() {
    const asyncio::TimePoint start = asyncio::get_event_loop().time();
    auto a = asyncio::create_task(blink(led1, 70ms, 10));
    auto b = asyncio::create_task(blink(led2, 110ms, 6));
    co_await asyncio::sleep(1ms);  // both blinkers are sleeping now
    const asyncio::FrameStats frames = asyncio::frame_stats();
    write_measure("blink_live_frames", frames.live_frames);
    write_measure("blink_live_frame_bytes", frames.live_bytes);
    co_await a;
    co_await b;
    const auto elapsed = asyncio::get_event_loop().time() - start;
    // led1 ends after 10 x 70 = 700 ms, led2 after 6 x 110 = 660 ms.
    const bool ok = led1.toggles() == 10 && led2.toggles() == 6 && elapsed >= 700ms && elapsed < 1500ms;
    asyncio::port::semihost_write(ok ? "blink: ok\n" : "blink: FAILED\n");
    co_return ok ? 0 : 1;
}

}  // namespace

int main() { return asyncio::run(main_task()); }
