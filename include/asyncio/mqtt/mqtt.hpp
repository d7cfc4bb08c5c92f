#pragma once
/// \namespace asyncio::mqtt
/// The mqtt layer: an MQTT 3.1.1 / 5.0 client on asyncio streams (Client, Subscription, Options),
/// and the packet codec and session it is built on. `#include <asyncio/mqtt/mqtt.hpp>` brings in
/// all of it but mqtt/tls.hpp (which needs asyncio::tls). Section numbers in the comments are
/// the 3.1.1 specification's unless marked "5.0".
#include <asyncio/mqtt/client.hpp>
#include <asyncio/mqtt/errors.hpp>
#include <asyncio/mqtt/message.hpp>
#include <asyncio/mqtt/options.hpp>
#include <asyncio/mqtt/packet.hpp>
#include <asyncio/mqtt/session.hpp>
#include <asyncio/mqtt/topic.hpp>
