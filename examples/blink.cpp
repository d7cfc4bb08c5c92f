// The lecture's first example: two tasks "blinking" at different rates.
//
//   async def blink(name, period_ms):            asyncio::Task<> blink(std::string name, int period_ms) {
//       for i in range(5):                           for (int i = 0; i < 5; ++i) {
//           print(name, "on" if i % 2 else "off")        std::printf(...);
//           await asyncio.sleep_ms(period_ms)             co_await asyncio::sleep_ms(period_ms);
//                                                    }
//   async def main():                            }
//       asyncio.create_task(blink("green", 700))
//       await blink("red", 400)
#include <asyncio/asyncio.hpp>

#include <cstdio>
#include <string>

asyncio::Task<> blink(std::string name, int period_ms) {
    for (int i = 0; i < 6; ++i) {
        std::printf("%-5s %s\n", name.c_str(), i % 2 == 0 ? "on" : "off");
        co_await asyncio::sleep_ms(period_ms);
    }
}

asyncio::Task<> main_task() {
    auto green = asyncio::create_task(blink("green", 700));
    co_await blink("red", 400);
    co_await green;
}

int main() { asyncio::run(main_task()); }
