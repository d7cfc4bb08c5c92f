// The lecture's little web server, line for line. Open http://127.0.0.1:8081/ (or curl it).
//
//   async def handle(reader, writer):
//       while (await reader.readline()) != b"\r\n":   # read the request until the blank line
//           pass
//       value = random.randint(0, 100)                  # our "sensor"
//       writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n")
//       writer.write(f"<html><body><h1>Sensor: {value}</h1></body></html>".encode())
//       await writer.drain()
//       writer.close()
//       await writer.wait_closed()
//
//   async def main():
//       await asyncio.start_server(handle, "0.0.0.0", 8081)
//       while True:
//           await asyncio.sleep(1)
#include <asyncio/asyncio.hpp>

#include <chrono>
#include <cstdlib>
#include <random>
#include <string>

using namespace std::chrono_literals;

asyncio::Task<> handle(asyncio::Stream s) {
    for (;;) {  // read the request until the blank line
        std::string line = co_await s.readline();
        if (line == "\r\n" || line == "\n" || line.empty()) break;
    }
    static std::mt19937 random_engine{std::random_device{}()};
    const int value = std::uniform_int_distribution<int>(0, 100)(random_engine);  // our "sensor"
    s.write("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n");
    s.write("<html><body><h1>Sensor: " + std::to_string(value) + "</h1></body></html>\n");
    co_await s.drain();
    s.close();
    co_await s.wait_closed();
}

asyncio::Task<> main_task(std::uint16_t port) {
    auto server = co_await asyncio::start_server(handle, "0.0.0.0", port);
    for (;;) co_await asyncio::sleep(1s);
}

int main(int argc, char** argv) {
    asyncio::run(main_task(static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8081)));
}
