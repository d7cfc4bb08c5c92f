// Uses the installed headers and library: two tasks, a queue, and a TCP round trip.
#include <asyncio/asyncio.hpp>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

asyncio::Task<> echo(asyncio::Stream s) {
    s.write(co_await s.readline());
    co_await s.drain();
    s.close();
}

asyncio::Task<int> main_task() {
    auto server = co_await asyncio::start_server(echo, "127.0.0.1", 0);
    auto client = co_await asyncio::open_connection("127.0.0.1", server.port());
    client.write("ping\n");
    co_await client.drain();
    const std::string reply = co_await asyncio::wait_for(client.readline(), 5s);
    server.close();
    co_return reply == "ping\n" ? 0 : 1;
}

int main() {
    const int status = asyncio::run(main_task());
    std::puts(status == 0 ? "consumer: ok" : "consumer: FAILED");
    return status;
}
