#pragma once

#include <asyncio/mqtt/packet.hpp>

#include <string>

namespace asyncio::mqtt {

/// A message received on a subscription (Subscription::get()).
struct Message {
    std::string topic;            ///< the topic name it was published to (no wildcards)
    std::string payload;          ///< the bytes as published: not necessarily text
    QoS qos = QoS::at_most_once;  ///< the QoS it was delivered with (at most the subscription's)
    /// Sent because it was the retained message of the topic when the subscription was made
    /// (section 3.3.1.3).
    bool retain = false;
};

}  // namespace asyncio::mqtt
