// The portable sensor sources (sim, fixed) every platform's build has.
#include "sensors.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace sensor_server {
namespace {

TEST(PortableSensor, FixedReportsExactlyItsValueAndNamesIt) {
    const auto sensor = make_portable_sensor("fixed:21.5", 1);
    ASSERT_NE(sensor, nullptr);
    EXPECT_EQ(sensor->name(), "fixed:21.5");
    EXPECT_EQ(sensor->read().get("temperature_c"), 21.5);
}

TEST(PortableSensor, SimulatedIsRepeatableForASeed) {
    const auto a = make_portable_sensor("sim", 42);
    const auto b = make_portable_sensor("sim", 42);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->name(), "sim");
    for (int i = 0; i < 5; ++i) {
        const Reading x = a->read();
        const Reading y = b->read();
        EXPECT_EQ(x.get("humidity_pct"), y.get("humidity_pct"));
        EXPECT_EQ(x.get("pressure_hpa"), y.get("pressure_hpa"));
    }
}

TEST(PortableSensor, OtherNamesAreLeftToThePlatform) {
    EXPECT_EQ(make_portable_sensor("linux", 1), nullptr);
    EXPECT_EQ(make_portable_sensor("bme280", 1), nullptr);
}

TEST(PortableSensor, AFixedValueThatIsNoNumberIsRefused) {
    for (const char* spec : {"fixed:", "fixed:warm", "fixed:1.5x", "fixed:inf", "fixed:nan"}) {
        EXPECT_THROW((void)make_portable_sensor(spec, 1), std::invalid_argument) << spec;
    }
}

TEST(LinuxSensorFactory, KnowsThePortableNamesAndExplainsUnknownOnes) {
    EXPECT_EQ(make_sensor("fixed:3")->name(), "fixed:3");
    EXPECT_EQ(make_sensor("sim")->name(), "sim");
    try {
        (void)make_sensor("bogus");
        FAIL() << "no exception";
    } catch (const std::invalid_argument& error) {
        EXPECT_NE(std::string(error.what()).find("linux"), std::string::npos) << error.what();
    }
}

}  // namespace
}  // namespace sensor_server
