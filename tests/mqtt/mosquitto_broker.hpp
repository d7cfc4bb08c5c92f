#pragma once
// The MQTT tests' broker fixture: a mosquitto of the test's own (mosquitto_process.hpp), started
// before each test. Tests skip when mosquitto is not installed (scripts/deps.sh test installs it).

#include <asyncio/core/loop.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include "mqtt/mosquitto_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace mqtt_test {

using namespace std::chrono_literals;

/// A fixture with a running broker; skips when mosquitto is missing.
class BrokerTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!Mosquitto::installed()) GTEST_SKIP() << "mosquitto is not installed (apt-get install mosquitto mosquitto-clients)";
        ASSERT_TRUE(broker.start()) << "mosquitto did not start on port " << broker.port();
    }
    Mosquitto broker;
};

/// Runs `task` on a new loop, at most `limit` long (a hung test fails instead of hanging).
inline void run(asyncio::Task<> task, std::chrono::seconds limit = 30s) {
    asyncio::run(asyncio::wait_for(std::move(task), limit));
}

}  // namespace mqtt_test
