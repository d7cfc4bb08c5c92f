#pragma once

#include <asyncio/core/task.hpp>
#include <asyncio/io/stream.hpp>
#include <asyncio/mqtt/packet.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace asyncio::mqtt {

/// The message the broker publishes when the connection ends without DISCONNECT (section
/// 3.1.2.5): a crash, a dropped link, a keepalive timeout.
struct Will {
    std::string topic;            ///< a topic name (no wildcards)
    std::string payload;          ///< the message's bytes
    QoS qos = QoS::at_most_once;  ///< the QoS the broker publishes it with
    bool retain = false;          ///< the broker keeps it as the topic's retained message
};

/// Automatic reconnection after a connection is lost: exponential back-off with jitter, from
/// initial_delay, times multiplier after each failed attempt, up to max_delay; each delay is
/// shortened by a random part of up to `jitter` of it, so clients that lost the same broker do
/// not all come back at once.
struct ReconnectPolicy {
    bool enabled = true;  ///< false: a lost connection closes the client for good (ConnectionLost)
    std::chrono::milliseconds initial_delay{100};  ///< before the first attempt
    std::chrono::milliseconds max_delay{30'000};   ///< the longest delay, however many attempts failed
    double multiplier = 2.0;  ///< the delay grows by this after each failed attempt (below 1: 1)
    double jitter = 0.5;      ///< the largest part of a delay taken off at random, 0..1
};

/// Limits the client enforces. Each is checked where it applies and named in the error.
struct Limits {
    /// Largest packet accepted from the broker (fixed header included). A larger PUBLISH is
    /// dropped as it arrives, never buffered (acknowledged at QoS 1 and 2, counted in
    /// ClientStats::messages_too_large), and the connection goes on; with 5.0 the broker is told
    /// the limit in CONNECT and does not send it at all. Any other packet over it closes the
    /// connection with ProtocolError, before its body is buffered. Also the largest PUBLISH
    /// publish() accepts (LimitExceeded).
    std::size_t max_packet_size = 256 * 1024;
    /// Longest topic name or filter in bytes (LimitExceeded on publish/subscribe; a longer
    /// topic from the broker is a ProtocolError).
    std::size_t max_topic_length = 1024;
    /// QoS 1 and 2 messages sent and not yet acknowledged; further ones wait in the queue.
    std::uint16_t max_inflight = 16;
    /// Messages waiting to be sent (while offline, or behind the inflight window): publish()
    /// waits while this many are queued, or throws QueueFull with fail_when_queue_full.
    std::size_t max_queued = 64;
    /// Messages a Subscription buffers before the client stops reading from the broker (TCP
    /// back-pressure) until the subscriber catches up.
    std::size_t max_subscription_backlog = 256;
};

/// Opens the connection to the broker. The Task it returns suspends while connecting (and, for
/// TLS, shaking hands), is resumed by the poller, and returns a connected Stream to host:port
/// ready for MQTT's bytes, or throws (std::system_error, TlsError...). Called by the client's own
/// task for the first connection and for every reconnection, within connect_timeout (a
/// TimeoutError cancels it). The function is copied into the client and lives as long as it; the
/// Task must depend on nothing else the caller owns (take arguments by value).
using OpenStream = std::function<Task<Stream>(std::string host, std::uint16_t port)>;

/// What a Client is configured with: the broker, how to reach it, the session, the last will,
/// reconnection and the limits it enforces. Copied into the Client.
struct Options {
    std::string host = "127.0.0.1";  ///< the broker: an address or a name (resolved at each connect)
    std::uint16_t port = 1883;       ///< 1883: MQTT's port; 8883 over TLS
    /// How the connection is opened. Empty: plain TCP (open_connection(host, port)). For MQTT
    /// over TLS (port 8883 by convention): mqtt::over_tls(ClientTls) from <asyncio/mqtt/tls.hpp>,
    /// which links asyncio::tls. A function rather than a TLS option, so that the mqtt layer
    /// needs no TLS library: a board without mbedTLS builds it as it is, and any other transport
    /// (a proxy, a test's fake) fits the same slot.
    OpenStream open_stream;
    ProtocolVersion version = ProtocolVersion::v311;  ///< the protocol spoken: 3.1.1 or 5.0
    /// Empty: the broker assigns one (3.1.1 requires clean_start then, section 3.1.3.1).
    std::string client_id;
    /// 3.1.1 Clean Session / 5.0 Clean Start. With false, the broker keeps the subscriptions and
    /// the QoS 1/2 messages of the session across connections. Either way this client resends
    /// its own QoS 1/2 publishes not yet acknowledged after a reconnect (with DUP): with a clean
    /// session that is at-least-once delivery where the specification would let them be
    /// discarded (3.1.2.4), chosen so that a lost connection never loses a publish.
    bool clean_start = true;
    /// 5.0: seconds the broker keeps the session after a disconnection (0: none; 0xFFFFFFFF:
    /// never expires). 3.1.1 has no expiry: a session that is not clean lasts until cleaned.
    std::uint32_t session_expiry_interval = 0;
    /// PINGREQ after this long without sending; a broker silent for 1.5 times this closes the
    /// connection (section 3.1.2.10). 0 turns keepalive off; at most 65535 s are sent. A 5.0
    /// broker's Server Keep Alive replaces it for that connection (section 5.0 3.2.2.3.14), and
    /// its Receive Maximum lowers Limits::max_inflight.
    std::chrono::seconds keepalive{60};
    std::optional<Will> will;              ///< sent in CONNECT; none by default
    std::optional<std::string> username;  ///< sent in CONNECT when set
    std::optional<std::string> password;  ///< sent in CONNECT when set (in clear text unless over TLS)
    /// Time for TCP connect plus CONNECT/CONNACK.
    std::chrono::milliseconds connect_timeout{10'000};
    /// What happens after a lost connection.
    ReconnectPolicy reconnect;
    /// Sizes and counts the client enforces.
    Limits limits;
    /// publish() on a full queue throws asyncio::QueueFull at once instead of waiting.
    bool fail_when_queue_full = false;
};

}  // namespace asyncio::mqtt
