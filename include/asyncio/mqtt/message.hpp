#pragma once
// A message received on a subscription.

#include <asyncio/mqtt/packet.hpp>

#include <string>

namespace asyncio::mqtt {

struct Message {
    std::string topic;
    std::string payload;
    QoS qos = QoS::at_most_once;
    /// Sent because it was the retained message of the topic when the subscription was made
    /// (section 3.3.1.3).
    bool retain = false;
};

}  // namespace asyncio::mqtt
