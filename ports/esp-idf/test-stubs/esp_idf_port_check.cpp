// The ESP-IDF port (ports/esp-idf/src/poll_port_esp_idf.cpp) compiled on Linux against the
// stand-in headers beside this file and linked with the scripted ESP-IDF functions below: checks
// what the port itself decides (the clock's unit, registering the eventfd VFS once and accepting
// an application's own registration, the ISR flag, errors as std::system_error). It says nothing
// about ESP-IDF's real behaviour, which only a board can show (docs/ESP32.md).
#include "poll_port.hpp"

#include <esp_err.h>
#include <esp_timer.h>
#include <esp_vfs_eventfd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstddef>
#include <string>
#include <system_error>
#include <vector>

namespace {

/// The scripted ESP-IDF: what each call returns next, and what it was called with.
struct FakeIdf {
    int64_t microseconds = 0;
    std::vector<esp_err_t> register_results;  ///< consumed in order; ESP_OK once empty
    std::vector<std::size_t> registered_sizes;
    int eventfd_result = 42;
    int eventfd_errno = 0;
    std::vector<int> eventfd_flags;
};
FakeIdf g_idf;

}  // namespace

extern "C" int64_t esp_timer_get_time(void) { return g_idf.microseconds; }

extern "C" esp_err_t esp_vfs_eventfd_register(const esp_vfs_eventfd_config_t* config) {
    g_idf.registered_sizes.push_back(config->max_fds);
    if (g_idf.register_results.empty()) return ESP_OK;
    const esp_err_t result = g_idf.register_results.front();
    g_idf.register_results.erase(g_idf.register_results.begin());
    return result;
}

extern "C" esp_err_t esp_vfs_eventfd_unregister(void) { return ESP_OK; }

extern "C" int eventfd(unsigned int initval, int flags) {
    EXPECT_EQ(initval, 0u);
    g_idf.eventfd_flags.push_back(flags);
    if (g_idf.eventfd_result < 0) errno = g_idf.eventfd_errno;
    return g_idf.eventfd_result;
}

namespace {

using asyncio::detail::poll_port::now;
using asyncio::detail::poll_port::open_wakeup_descriptor;

TEST(EspIdfPort, TheClockIsEspTimerInMicroseconds) {
    g_idf.microseconds = 1'234'567;
    EXPECT_EQ(now().time_since_epoch(), std::chrono::nanoseconds(1'234'567'000));
    g_idf.microseconds = 86'400'000'000;  // a day after boot
    EXPECT_EQ(now().time_since_epoch(), std::chrono::hours(24));
}

// One test, in order: the VFS registration is remembered for the whole program.
TEST(EspIdfPort, TheEventfdVfsIsRegisteredOnceAndTheWakeupEventfdWorksFromInterrupts) {
    g_idf = FakeIdf{};
    // Out of memory: a clear error, and nothing remembered.
    g_idf.register_results = {ESP_ERR_NO_MEM};
    try {
        (void)open_wakeup_descriptor();
        ADD_FAILURE() << "no exception";
    } catch (const std::system_error& error) {
        EXPECT_EQ(error.code().value(), ENOMEM);
        EXPECT_NE(std::string(error.what()).find("esp_vfs_eventfd_register"), std::string::npos);
    }
    EXPECT_TRUE(g_idf.eventfd_flags.empty());

    // The application registered the VFS itself (its own size): accepted as it is.
    g_idf.register_results = {ESP_ERR_INVALID_STATE};
    EXPECT_EQ(open_wakeup_descriptor(), 42);
    ASSERT_EQ(g_idf.registered_sizes.size(), 2u);
    EXPECT_EQ(g_idf.registered_sizes.back(), 4u) << "ASYNCIO_ESP_EVENTFD_MAX's default";
    ASSERT_EQ(g_idf.eventfd_flags.size(), 1u);
    EXPECT_EQ(g_idf.eventfd_flags[0], EFD_SUPPORT_ISR) << "ThreadSafeFlag::set() must work in an ISR";

    // A second loop: no second registration.
    g_idf.eventfd_result = 43;
    EXPECT_EQ(open_wakeup_descriptor(), 43);
    EXPECT_EQ(g_idf.registered_sizes.size(), 2u);

    // No eventfd left (max_fds reached): errno comes through.
    g_idf.eventfd_result = -1;
    g_idf.eventfd_errno = ENOMEM;
    try {
        (void)open_wakeup_descriptor();
        ADD_FAILURE() << "no exception";
    } catch (const std::system_error& error) {
        EXPECT_EQ(error.code().value(), ENOMEM);
        EXPECT_NE(std::string(error.what()).find("eventfd"), std::string::npos);
    }
}

}  // namespace
