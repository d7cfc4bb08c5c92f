// MQTT over TLS: the client with Options::open_stream = over_tls(ClientTls) against mosquitto
// with a TLS listener (its own, on a free port of 127.0.0.1, with the test's certificates).
// Built into mqtt_tls_tests by tests/tls/tls_tests.cmake, only where asyncio::tls exists.
#include <asyncio/mqtt/client.hpp>
#include <asyncio/mqtt/tls.hpp>

#include <asyncio/core/errors.hpp>

#include <gtest/gtest.h>

#include <string>

#include "mqtt/mosquitto_broker.hpp"
#include "tls/tls_test_support.hpp"

using namespace std::chrono_literals;
using namespace asyncio::mqtt;

namespace {

/// mosquitto listening with TLS only, with the test CA's "server" certificate (localhost).
class MqttTlsTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!mqtt_test::Mosquitto::installed()) GTEST_SKIP() << "mosquitto is not installed";
        TLS_TEST_NEEDS_CERTIFICATES();
        const auto& certificates = tls_test::Certificates::get();
        broker.emplace("cafile " + certificates.path("ca.pem") + "\ncertfile " + certificates.path("server.pem") +
                       "\nkeyfile " + certificates.path("server.key") + "\n");
        ASSERT_TRUE(broker->start()) << "mosquitto did not start on port " << broker->port();
    }

    /// A client of the TLS broker, trusting `ca` and expecting the name `hostname`.
    [[nodiscard]] Options options(const std::string& ca = "ca", const std::string& hostname = "localhost") const {
        Options result;
        result.port = broker->port();
        result.connect_timeout = 5s;
        result.reconnect.enabled = false;
        result.open_stream = over_tls(tls_test::Certificates::get().client(ca, hostname));
        return result;
    }

    std::optional<mqtt_test::Mosquitto> broker;
};

asyncio::Task<> publish_and_receive(Options options) {
    Client client(options);
    co_await client.connect();
    EXPECT_TRUE(client.is_connected());
    Subscription messages = co_await client.subscribe("tls/#", QoS::at_least_once);
    co_await client.publish("tls/reading", "21.5", QoS::at_least_once, true);
    const Message message = co_await messages.get();
    EXPECT_EQ(message.topic, "tls/reading");
    EXPECT_EQ(message.payload, "21.5");
    co_await client.disconnect();
}

TEST_F(MqttTlsTest, AClientTrustingTheBrokersCaPublishesAndReceives) {
    mqtt_test::run(publish_and_receive(options()));
}

/// What connect() throws, or "connected" (after disconnecting again).
asyncio::Task<std::string> connect_error(Options options, bool* tls_error) {
    Client client(options);
    try {
        co_await client.connect();
    } catch (const asyncio::TlsError& error) {
        *tls_error = true;
        EXPECT_FALSE(client.is_connected());
        EXPECT_EQ(client.stats().connections, 0U);
        co_return error.what();
    } catch (const std::exception& error) {
        co_return error.what();
    }
    co_await client.disconnect();
    co_return "connected";
}

std::string run_connect(Options options, bool& tls_error) {
    std::string result;
    mqtt_test::run([](Options o, bool* flag, std::string* out) -> asyncio::Task<> {
        *out = co_await connect_error(std::move(o), flag);
    }(std::move(options), &tls_error, &result));
    return result;
}

TEST_F(MqttTlsTest, AClientTrustingAnotherCaGetsATlsErrorAndNeverConnects) {
    bool tls_error = false;
    const std::string error = run_connect(options("other_ca"), tls_error);
    EXPECT_TRUE(tls_error) << error;
    EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
}

TEST_F(MqttTlsTest, TheBrokersNameIsVerifiedByDefault) {
    bool tls_error = false;
    const std::string error = run_connect(options("ca", "broker.example"), tls_error);
    EXPECT_TRUE(tls_error) << error;
    EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
}

TEST_F(MqttTlsTest, APlainClientIsNotServedByTheTlsListener) {
    Options plain = options();
    plain.open_stream = nullptr;
    plain.connect_timeout = 2s;
    bool tls_error = false;
    const std::string error = run_connect(plain, tls_error);
    EXPECT_NE(error, "connected") << "the broker speaks TLS only: a plain CONNECT must not be accepted";
    EXPECT_FALSE(tls_error);
}

}  // namespace
