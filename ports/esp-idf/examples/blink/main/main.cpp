// asyncio on an ESP32: two LEDs blinking and a TCP echo server on port 7, one event loop in the
// app_main task. The asyncio part is blink_echo.hpp (also run on Linux by the io tests); this
// file is the board: GPIOs, Wi-Fi (ESP-IDF's example_connect(), set the network with
// `idf.py menuconfig`) and app_main().
//
// Written for ESP-IDF 5.x and never built here: see docs/ESP32.md for what is tested where.
#include "blink_echo.hpp"

#include <driver/gpio.h>
#include <esp_event.h>
#include <esp_log.h>
#include <esp_netif.h>
#include <nvs_flash.h>
#include <protocol_examples_common.h>

#include <exception>

namespace {

constexpr const char* kTag = "blink_echo";
constexpr gpio_num_t kLedPins[] = {GPIO_NUM_2, GPIO_NUM_4};  // LED 0 (on most DevKits), LED 1
constexpr std::uint16_t kEchoPort = 7;

void set_led(int led, bool on) { gpio_set_level(kLedPins[led], on ? 1 : 0); }

void configure_leds() {
    for (const gpio_num_t pin : kLedPins) {
        gpio_reset_pin(pin);
        gpio_set_direction(pin, GPIO_MODE_OUTPUT);
    }
}

void connect_network() {
    ESP_ERROR_CHECK(nvs_flash_init());
    ESP_ERROR_CHECK(esp_netif_init());
    ESP_ERROR_CHECK(esp_event_loop_create_default());
    ESP_ERROR_CHECK(example_connect());
}

asyncio::Task<> main_task() {
    asyncio::Server server = co_await blink_echo::start_board(set_led, "0.0.0.0", kEchoPort);
    ESP_LOGI(kTag, "echo server on port %u; try: nc <board address> %u", unsigned{server.port()},
             unsigned{kEchoPort});
    co_await server.serve_forever();
}

}  // namespace

extern "C" void app_main() {
    configure_leds();
    connect_network();
    try {
        asyncio::run(main_task());
    } catch (const std::exception& error) {
        ESP_LOGE(kTag, "stopped: %s", error.what());
    }
}
