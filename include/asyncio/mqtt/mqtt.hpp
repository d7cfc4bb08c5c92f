#pragma once
// The mqtt layer: an MQTT 3.1.1 / 5.0 client on asyncio streams.
#include <asyncio/mqtt/client.hpp>
#include <asyncio/mqtt/errors.hpp>
#include <asyncio/mqtt/message.hpp>
#include <asyncio/mqtt/options.hpp>
#include <asyncio/mqtt/packet.hpp>
#include <asyncio/mqtt/session.hpp>
#include <asyncio/mqtt/topic.hpp>
