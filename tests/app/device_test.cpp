// GET /api/device and the device panel, in process: the facts come from the DeviceInfo a main
// gives the App, read at request time.
#include "app.hpp"

#include "device_info.hpp"
#include "options.hpp"
#include "sampler.hpp"
#include "sensors.hpp"
#include "version.hpp"

#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace sensor_server {
namespace {

/// A reading with a known time stamp, so the page's rendered time can be checked.
class StampedSensor final : public SensorSource {
public:
    explicit StampedSensor(std::int64_t ts_ms) : m_ts_ms(ts_ms) {}
    std::string_view name() const noexcept override { return "stamped"; }
    Reading read() override {
        Reading reading;
        reading.ts_ms = m_ts_ms;
        reading.add("temperature_c", 21.5);
        return reading;
    }

private:
    std::int64_t m_ts_ms;
};

/// An App with its sampler, as a main builds them.
struct Fixture {
    explicit Fixture(DeviceInfo device, std::int64_t ts_ms = 1732550000123)
        : sampler(std::make_unique<StampedSensor>(ts_ms), std::chrono::milliseconds(2500), 10) {
        options.interval_s = 2.5;  // as a main gives it to both
        sampler.sample_once();
        app = std::make_unique<App>(options, sampler, std::move(device));
    }
    /// Runs the GET route for `path` the way the server does, without a socket.
    http::Response get(std::string_view path) const {
        const http::Router::Match match = app->router().match("GET", path);
        http::Response response;
        if (match.handler == nullptr && match.async_handler == nullptr) {
            ADD_FAILURE() << "no GET handler for " << path;
            return response;
        }
        http::ServerRequest request;
        request.method = "GET";
        request.target = path;
        request.path = path;
        if (match.handler != nullptr) {
            (*match.handler)(request, response);
        } else {
            // /metrics and /debug/tasks are coroutines: they may wait for other loops' figures.
            asyncio::run((*match.async_handler)(request, response));
        }
        return response;
    }

    Options options;
    Sampler sampler;
    std::unique_ptr<App> app;
};

DeviceInfo board_like() {
    DeviceInfo device;
    device.platform = "mps2-an385 (Cortex-M3, lwIP)";
    device.network = [] {
        NetworkInfo network;
        network.hostname = "sensor-1";
        network.ip = "10.0.2.15";
        network.netmask = "255.255.255.0";
        network.gateway = "10.0.2.2";
        network.dns = "10.0.2.3";
        return network;
    };
    device.uptime_s = [] { return 12.5; };
    device.free_heap_bytes = [] { return std::optional<std::size_t>(4096); };
    return device;
}

TEST(ApiDevice, ReportsEveryFactTheMainGives) {
    const Fixture fixture(board_like());
    const http::Response response = fixture.get("/api/device");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type(), "application/json");
    EXPECT_EQ(response.body(),
              R"({"hostname":"sensor-1","ip":"10.0.2.15","netmask":"255.255.255.0","gateway":"10.0.2.2",)"
              R"("dns":"10.0.2.3","sensor":"stamped","sensor_note":null,"interval_s":2.5,"uptime_s":12.5,)"
              R"json("platform":"mps2-an385 (Cortex-M3, lwIP)","version":")json" + std::string(server_version()) +
                  R"json(","free_heap_bytes":4096})json");
}

TEST(ApiDevice, CarriesTheHeadersOfTheOtherApiRoutes) {
    const Fixture fixture(board_like());
    const http::Response device = fixture.get("/api/device");
    const http::Response sensor = fixture.get("/api/quantities");  // readings add a Link to it
    EXPECT_EQ(device.extra_headers(), sensor.extra_headers());
    EXPECT_NE(device.extra_headers().find("Cache-Control: no-store"), std::string_view::npos);
}

TEST(ApiDevice, ReadsTheNetworkFactsAtEachRequest) {
    DeviceInfo device;
    auto address = std::make_shared<std::string>("0.0.0.0");
    device.network = [address] {
        NetworkInfo network;
        network.ip = *address;
        return network;
    };
    const Fixture fixture(std::move(device));
    EXPECT_NE(fixture.get("/api/device").body().find(R"("ip":"0.0.0.0")"), std::string::npos);
    *address = "192.168.1.20";  // DHCP answered
    EXPECT_NE(fixture.get("/api/device").body().find(R"("ip":"192.168.1.20")"), std::string::npos);
    EXPECT_NE(fixture.get("/").body().find(R"(<dd id="ip">192.168.1.20</dd>)"), std::string::npos);
}

TEST(ApiDevice, WhatNobodyGaveIsUnknownOrNull) {
    const Fixture fixture(DeviceInfo{});
    const std::string body = fixture.get("/api/device").body();
    for (const char* key : {"hostname", "ip", "netmask", "gateway", "dns", "platform"}) {
        EXPECT_NE(body.find("\"" + std::string(key) + "\":\"unknown\""), std::string::npos) << key << " in " << body;
    }
    EXPECT_NE(body.find(R"("free_heap_bytes":null)"), std::string::npos) << body;
    EXPECT_NE(body.find(R"("uptime_s":)"), std::string::npos) << body;  // the App's own uptime
}

TEST(ApiDevice, TheCompatibilityConstructorKeepsFixedNetworkFacts) {
    NetworkInfo network;
    network.hostname = "bench";
    Sampler sampler(std::make_unique<StampedSensor>(0), std::chrono::seconds(1), 1);
    sampler.sample_once();
    const App app(Options{}, sampler, network);
    const http::Router::Match match = app.router().match("GET", "/api/device");
    ASSERT_NE(match.handler, nullptr);
    http::ServerRequest request;
    http::Response response;
    (*match.handler)(request, response);
    EXPECT_NE(response.body().find(R"("hostname":"bench")"), std::string::npos) << response.body();
}

TEST(ApiDevice, EscapesTheFactsAsJsonStrings) {
    DeviceInfo device;
    device.platform = "quote \" backslash \\ newline \n";
    const Fixture fixture(std::move(device));
    EXPECT_NE(fixture.get("/api/device").body().find(R"("platform":"quote \" backslash \\ newline \u000a")"),
              std::string::npos)
        << fixture.get("/api/device").body();
}

TEST(Metrics, ReportFreeHeapAndResidentMemoryOnlyWhereKnown) {
    const Fixture board(board_like());
    const std::string with_heap = board.get("/metrics").body();
    EXPECT_NE(with_heap.find("device_free_heap_bytes 4096\n"), std::string::npos) << with_heap;
    EXPECT_EQ(with_heap.find("process_resident_memory_bytes"), std::string::npos);

    DeviceInfo linux_like;
    linux_like.resident_memory_bytes = [] { return std::optional<std::size_t>(1 << 20); };
    const Fixture host(std::move(linux_like));
    const std::string with_rss = host.get("/metrics").body();
    EXPECT_NE(with_rss.find("process_resident_memory_bytes 1048576\n"), std::string::npos) << with_rss;
    EXPECT_EQ(with_rss.find("device_free_heap_bytes"), std::string::npos);
}

TEST(Dashboard, DevicePanelShowsPlatformUptimeAndFreeHeap) {
    const Fixture fixture(board_like());
    const std::string page = fixture.get("/").body();
    EXPECT_NE(page.find(R"(<dd id="platform">mps2-an385 (Cortex-M3, lwIP)</dd>)"), std::string::npos);
    EXPECT_NE(page.find(R"(<dd id="uptime" data-s="12">12 s</dd>)"), std::string::npos);
    EXPECT_NE(page.find(R"(<div id="free_heap-row" ><dt>Free heap</dt><dd id="free_heap">4.0 KiB</dd>)"),
              std::string::npos);
    EXPECT_NE(page.find(R"(<dd id="gateway">10.0.2.2</dd>)"), std::string::npos);
}

TEST(Dashboard, HidesTheFreeHeapRowWhereItIsNotKnown) {
    const Fixture fixture(DeviceInfo{});
    EXPECT_NE(fixture.get("/").body().find(R"(<div id="free_heap-row" hidden>)"), std::string::npos);
}

TEST(Dashboard, UptimeReadsInTheLargestUnits) {
    const struct {
        double seconds;
        const char* shown;
    } cases[] = {{0, "0 s"}, {59.9, "59 s"}, {61, "1 min 1 s"}, {3 * 3600 + 125, "3 h 2 min"}, {2 * 86400 + 7200, "2 d 2 h"}};
    for (const auto& c : cases) {
        DeviceInfo device;
        device.uptime_s = [seconds = c.seconds] { return seconds; };
        const Fixture fixture(std::move(device));
        EXPECT_NE(fixture.get("/").body().find(std::string(">") + c.shown + "</dd>"), std::string::npos) << c.shown;
    }
}

TEST(Dashboard, RendersTheReadingTimeInUtc) {
    const struct {
        std::int64_t ts_ms;
        const char* iso;
    } cases[] = {{0, "1970-01-01T00:00:00Z"},
                 {951782400000, "2000-02-29T00:00:00Z"},  // a leap day
                 {1732550000123, "2024-11-25T15:53:20Z"},
                 {-1, "1969-12-31T23:59:59Z"}};
    for (const auto& c : cases) {
        const Fixture fixture(DeviceInfo{}, c.ts_ms);
        EXPECT_NE(fixture.get("/").body().find(std::string("datetime=\"") + c.iso + "\""), std::string::npos) << c.iso;
    }
}

}  // namespace
}  // namespace sensor_server
