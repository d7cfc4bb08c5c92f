// An echo server: every line a client sends comes back. Try: nc 127.0.0.1 8888
#include <asyncio/asyncio.hpp>

#include <cstdio>
#include <cstdlib>

asyncio::Task<> handle(asyncio::Stream s) {
    std::printf("connection from %s\n", s.get_extra_info("peername").c_str());
    for (;;) {
        std::string line = co_await s.readline();
        if (line.empty()) break;  // EOF
        s.write(line);
        co_await s.drain();
    }
    s.close();
    co_await s.wait_closed();
}

asyncio::Task<> main_task(std::uint16_t port) {
    auto server = co_await asyncio::start_server(handle, "127.0.0.1", port);
    std::printf("echo server on 127.0.0.1:%u\n", server.port());
    asyncio::add_signal_handler(SIGINT, [&server] { server.close(); });
    co_await server.serve_forever();
}

int main(int argc, char** argv) {
    asyncio::run(main_task(static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8888)));
}
