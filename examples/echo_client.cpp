// An echo client: sends a few lines and prints what comes back.
#include <asyncio/asyncio.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace std::chrono_literals;

asyncio::Task<> main_task(std::uint16_t port) {
    asyncio::Stream s = co_await asyncio::wait_for(asyncio::open_connection("127.0.0.1", port), 5s);
    for (const char* message : {"hello\n", "asyncio\n", "from C++\n"}) {
        s.write(message);
        co_await s.drain();
        std::string echoed = co_await s.readline();
        std::printf("echoed: %s", echoed.c_str());
    }
    s.close();
    co_await s.wait_closed();
}

int main(int argc, char** argv) {
    asyncio::run(main_task(static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8888)));
}
