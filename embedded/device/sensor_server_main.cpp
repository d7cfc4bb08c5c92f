// sensor-server on a microcontroller: the same application as on Linux (apps/sensor-server), on
// an emulated Cortex-M3 board (QEMU mps2-an385) whose LAN9118 Ethernet controller QEMU connects
// to the host. lwIP's raw API is the network stack; its DHCP client gets the address.
//
//   make device-run       # then open http://127.0.0.1:8081/
//
// What the Linux main reads from its command line is fixed here: port 80 on every interface,
// the simulated sensor, a reading every second. The console (semihosting) shows the DHCP lease,
// the URL, and a MEMORY line whenever the heap or stack high-water mark changes.

#include "app.hpp"
#include "sampler.hpp"
#include "sensors.hpp"

#include "board.hpp"
#include "board_network.hpp"
#include "semihosting.hpp"
#include "tick_platform.hpp"

#include <asyncio/asyncio.hpp>
#include <asyncio/io/lwip.hpp>

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

using namespace std::chrono_literals;

namespace {

using namespace sensor_server;

constexpr const char* kHostname = "sensor-board";
constexpr const char* kPlatform = "mps2-an385 (Cortex-M3, lwIP " "2.1.3" ")";

/// Options as a user of the board expects them: reachable from the network, small history.
Options board_options() {
    Options options;
    options.host = "0.0.0.0";
    options.port = 80;
    options.sensor = "sim";
    options.interval_s = 1.0;
    options.history = 60;  // a minute at one reading a second: 9 KB of RAM
    options.max_connections = 12;
    return options;
}

std::string dotted(std::uint32_t address) {
    char text[16];
    board_net::format_ipv4(address, text);
    return text;
}

NetworkInfo network_now() {
    NetworkInfo info;
    info.hostname = kHostname;
    if (!board_net::has_address()) return info;  // "unknown" until DHCP has answered
    const board_net::Facts facts = board_net::facts();
    info.ip = dotted(facts.ip);
    info.netmask = dotted(facts.netmask);
    info.gateway = dotted(facts.gateway);
    info.dns = dotted(facts.dns);
    return info;
}

/// newlib's heap figures. _mallinfo_r, not mallinfo(): the latter's object file also holds
/// malloc_stats(), which links a whole printf.
struct mallinfo heap_figures() { return _mallinfo_r(_REENT); }
/// Heap bytes in use now.
std::size_t heap_in_use() { return static_cast<std::size_t>(heap_figures().uordblks); }
/// The most the heap has ever taken from RAM: newlib's arena never shrinks.
std::size_t heap_peak() { return static_cast<std::size_t>(heap_figures().arena); }

DeviceInfo device_info() {
    DeviceInfo device;
    device.platform = kPlatform;
    device.network = &network_now;
    device.uptime_s = [] {
        return std::chrono::duration<double>(asyncio::get_event_loop().time().time_since_epoch()).count();  // the tick counter starts at reset
    };
    device.free_heap_bytes = [] { return std::optional<std::size_t>(board::heap_size() - heap_in_use()); };
    return device;
}

void print_line(const std::string& line) { asyncio::port::semihost_write((line + "\n").c_str()); }

/// The lecture's recap, once DHCP has given the board its address.
asyncio::Task<> announce_address() {
    while (!board_net::has_address()) co_await asyncio::sleep(50ms);
    const NetworkInfo info = network_now();
    print_line("DHCP ip " + info.ip + " netmask " + info.netmask + " gateway " + info.gateway + " dns " + info.dns);
    print_line("sensor-server: serving http://" + info.ip + ":80/ on the board");
}

/// A MEMORY line whenever a figure changes, checked every second: the device tests read the
/// heap in use after a run of requests, and the peaks.
asyncio::Task<> report_memory() {
    std::string last;
    for (;;) {
        co_await asyncio::sleep(1s);
        const std::string line = "MEMORY heap_in_use=" + std::to_string(heap_in_use()) +
                                 " heap_peak=" + std::to_string(heap_peak()) +
                                 " stack_high_water=" + std::to_string(board::stack_high_water()) +
                                 " sockets=" + std::to_string(asyncio::lwip::socket_counts().in_use) +
                                 " rx_dropped=" + std::to_string(board_net::stats().rx_dropped) +
                                 " lwip_pool_errors=" + std::to_string(board_net::stats().memp_errors);
        if (line != last) print_line(line);
        last = line;
    }
}

asyncio::Task<int> serve() {
    const Options options = board_options();
    Sampler sampler(make_portable_sensor(options.sensor, static_cast<unsigned>(asyncio::get_event_loop().time().time_since_epoch().count())),
                    std::chrono::duration_cast<std::chrono::milliseconds>(duration_of(options.interval_s)),
                    options.history);
    sampler.sample_once();
    App app(options, sampler, device_info());
    http::HttpServer server(app.router(), server_options(options));
    app.attach(server);
    co_await server.start(options.host, options.port);
    asyncio::Task<> sampling = asyncio::create_task(sampler.run(), "sampler");
    asyncio::Task<> announcing = asyncio::create_task(announce_address(), "announce");
    asyncio::Task<> memory = asyncio::create_task(report_memory(), "memory");
    co_await server.wait_closed();  // the board serves until it is switched off
    co_return 0;
}

}  // namespace

/// The loop's platform: the board's tick clock and WFI, with lwIP driven before every sleep.
std::unique_ptr<asyncio::Platform> asyncio::make_default_platform() {
    return lwip::make_platform(std::make_unique<port::TickPlatform>(), {&board_net::poll, &board_net::set_irq_hook});
}

int main() {
    board_net::start(kHostname);
    print_line("sensor-server: board up, asking for an address by DHCP");
    try {
        return asyncio::run(serve());
    } catch (const std::exception& error) {
        print_line(std::string("sensor-server: ") + error.what());
        return 1;
    }
}
