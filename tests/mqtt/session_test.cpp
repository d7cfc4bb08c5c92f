// Session state: packet identifiers, the inflight window, QoS 2 exchanges in both directions.
#include <asyncio/mqtt/session.hpp>

#include <gtest/gtest.h>

using namespace asyncio::mqtt;

namespace {

OutgoingMessage message(QoS qos) { return OutgoingMessage{"t", "p", qos, false, std::make_shared<PublishCompletion>()}; }

TEST(MqttSession, PacketIdentifiersAreNonZeroAndSkipThoseInUse) {
    Session session(4);
    const std::uint16_t first = session.allocate_packet_id();
    EXPECT_NE(first, 0);
    session.add(first, message(QoS::at_least_once));
    session.reserve(static_cast<std::uint16_t>(first + 1));
    EXPECT_EQ(session.allocate_packet_id(), first + 2);
    // Wrapping around 65535 skips 0 (section 2.3.1).
    for (int i = 0; i < 65533; ++i) (void)session.allocate_packet_id();
    const std::uint16_t wrapped = session.allocate_packet_id();
    EXPECT_NE(wrapped, 0);
    EXPECT_NE(wrapped, first);
}

TEST(MqttSession, InflightWindow) {
    Session session(2);
    EXPECT_TRUE(session.has_room());
    session.add(1, message(QoS::at_least_once));
    session.add(2, message(QoS::exactly_once));
    EXPECT_FALSE(session.has_room());
    EXPECT_EQ(session.complete(2, Session::Stage::awaiting_puback), nullptr);  // QoS 2 is not ended by PUBACK
    auto completion = session.complete(1, Session::Stage::awaiting_puback);
    ASSERT_NE(completion, nullptr);
    EXPECT_TRUE(session.has_room());
}

TEST(MqttSession, OutgoingQoS2GoesThroughPubrecThenPubcomp) {
    Session session(4);
    session.add(5, message(QoS::exactly_once));
    EXPECT_EQ(session.complete(5, Session::Stage::awaiting_pubcomp), nullptr);  // PUBCOMP before PUBREC
    EXPECT_TRUE(session.received(5));
    EXPECT_EQ(session.inflight().front().stage, Session::Stage::awaiting_pubcomp);
    EXPECT_NE(session.complete(5, Session::Stage::awaiting_pubcomp), nullptr);
    EXPECT_EQ(session.inflight_count(), 0u);
    EXPECT_FALSE(session.received(5));
}

TEST(MqttSession, IncomingQoS2IsDeliveredOnceUntilReleased) {
    Session session(4);
    EXPECT_TRUE(session.begin_incoming(7));
    EXPECT_FALSE(session.begin_incoming(7));  // a resend with DUP before PUBREL
    session.release_incoming(7);
    EXPECT_TRUE(session.begin_incoming(7));  // a new message reusing the identifier
}

TEST(MqttSession, FailAllCompletesEveryWaiter) {
    Session session(4);
    OutgoingMessage m = message(QoS::at_least_once);
    auto completion = m.completion;
    session.add(1, std::move(m));
    session.fail_all(std::make_exception_ptr(std::runtime_error("gone")));
    EXPECT_TRUE(completion->done.is_set());
    EXPECT_TRUE(completion->error);
    EXPECT_EQ(session.inflight_count(), 0u);
}

}  // namespace
