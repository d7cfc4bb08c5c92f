// The quantity catalogue: labels, units, decimals and metric names, and fixed-decimal text.
#include "quantities.hpp"

#include <gtest/gtest.h>

namespace sensor_server {
namespace {

TEST(Quantities, KnownKeysHaveLabelUnitDecimalsAndABaseUnitMetric) {
    const QuantityInfo t = describe_quantity("temperature_c");
    EXPECT_EQ(t.label, "Temperature");
    EXPECT_EQ(t.unit, "\u00b0C");
    EXPECT_EQ(t.decimals, 2);
    EXPECT_EQ(metric_name(t), "sensor_temperature_celsius");
    EXPECT_EQ(describe_quantity("pressure_hpa").metric_scale, 100);
    EXPECT_EQ(metric_name(describe_quantity("humidity_pct")), "sensor_relative_humidity_ratio");
    EXPECT_EQ(describe_quantity("load_1m").label, "Load (1 min)");
    EXPECT_EQ(metric_name(describe_quantity("mem_available_mib")), "sensor_memory_available_bytes");
}

TEST(Quantities, AnUnknownKeyGetsItsUnitFromItsSuffix) {
    const QuantityInfo co2 = describe_quantity("co2_ppm");
    EXPECT_EQ(co2.label, "co2_ppm");
    EXPECT_EQ(co2.unit, "ppm");
    EXPECT_EQ(co2.decimals, 2);
    EXPECT_EQ(metric_name(co2), "sensor_co2_ppm");
    EXPECT_EQ(describe_quantity("count").unit, "");
}

TEST(Quantities, FixedTextKeepsItsDecimalsAndNeverShowsMinusZero) {
    EXPECT_EQ(fixed_text(19.6, 2), "19.60");
    EXPECT_EQ(fixed_text(1013.25, 1), "1013.2");  // round half to even in binary: 1013.25 is exact
    EXPECT_EQ(fixed_text(22655, 0), "22655");
    EXPECT_EQ(fixed_text(-0.001, 1), "0.0");
    EXPECT_EQ(fixed_text(-1.25, 1), "-1.2");
}

}  // namespace
}  // namespace sensor_server
