#pragma once
// The state a Client shares with its background task and its Subscriptions (private to
// src/mqtt). client.cpp holds the public operations, connection.cpp what runs per connection
// (handshake, reader, writer, keepalive) and the reconnect loop.

#include <asyncio/core/event.hpp>
#include <asyncio/core/platform.hpp>
#include <asyncio/core/queue.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/io/stream.hpp>
#include <asyncio/mqtt/client.hpp>
#include <asyncio/mqtt/session.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace asyncio::mqtt {

struct Subscription::State {
    State(std::string filter_, QoS qos_, std::size_t backlog) : filter(std::move(filter_)), qos(qos_), queue(backlog) {}
    std::string filter;
    QoS qos;
    Queue<Message> queue;
    std::weak_ptr<Client::State> client;
};

/// A SUBSCRIBE or UNSUBSCRIBE waiting for its ack; lives in the waiting coroutine's frame.
struct AckWaiter {
    std::uint16_t packet_id = 0;
    PacketType ack_type = PacketType::suback;
    Event done;
    std::string codes;  ///< the ack's return codes
    bool lost = false;  ///< the connection ended first: send again once reconnected
};

/// What the current connection allows beyond the client's own Options: a 5.0 broker's CONNACK
/// (section 5.0 3.2.2.3) may lower the QoS, forbid RETAIN, cap the packet size and set the
/// keepalive. A 3.1.1 connection keeps the defaults and the configured keepalive.
struct ConnectionAllowance {
    QoS maximum_qos = QoS::exactly_once;
    bool retain_available = true;
    std::size_t maximum_packet_size = 0;  ///< the broker's; 0: none
    Duration keepalive{};                 ///< in force: Server Keep Alive, else Options::keepalive
};

struct Client::State : std::enable_shared_from_this<Client::State> {
    explicit State(Options options_)
        : options(std::move(options_)), session(options.limits.max_inflight), outbox(options.limits.max_queued) {}

    Options options;
    Session session;
    Queue<OutgoingMessage> outbox;
    /// Taken from the outbox, waiting for room in the inflight window (keeps the order).
    std::optional<OutgoingMessage> held;
    Stream stream;  ///< the current connection; empty while offline

    bool started = false;  ///< connect() was called
    bool connected = false;
    bool closing = false;  ///< disconnect() or the destructor: do not reconnect
    bool closed = false;   ///< for good
    bool disconnecting = false;  ///< disconnect(): the connection stays for DISCONNECT
    Event connected_event;
    Event closed_event;
    Event writer_wake;
    Event drop_requested;

    std::vector<std::shared_ptr<Subscription::State>> subscriptions;
    std::vector<AckWaiter*> ack_waiters;
    std::optional<ScheduledTask<void>> runner;

    ConnectionAllowance allowance;  ///< set by each CONNACK
    TimePoint last_received{};
    TimePoint last_sent{};
    std::string last_error;
    ClientStats stats;

    // --- client.cpp ---
    [[nodiscard]] bool can_write_directly() const noexcept;
    void write_publish(const OutgoingMessage& message, std::uint16_t packet_id, bool dup);
    /// Throws LimitExceeded, saying why, if the current connection's broker does not allow this
    /// PUBLISH (its Maximum QoS, Retain Available or Maximum Packet Size).
    void check_allowed(std::string_view topic, std::string_view payload, QoS qos, bool retain) const;
    /// A queued message the current connection does not allow: fails its publish() with
    /// LimitExceeded (QoS 0: counted only) instead of sending it. True if it was refused.
    bool refuse_if_not_allowed(OutgoingMessage& message);
    void close_for_good(const std::string& reason);
    void remove_subscription(const Subscription::State* subscription) noexcept;

    // --- connection.cpp ---
    /// TCP connect, CONNECT, CONNACK; then the connection is current and the session restored.
    Task<> establish();
    /// Runs the connection (reader, writer) until it ends; returns why.
    Task<std::string> serve();
    Task<> read_loop();
    Task<> write_loop();
    Task<> watch_drop();
    Task<> deliver(const Packet& packet);
    /// Drops a PUBLISH larger than Limits::max_packet_size (`size` bytes, `header_size` of them
    /// its fixed header) as it arrives, and acknowledges it at QoS 1 and 2.
    Task<> drop_too_large_publish(std::size_t header_size, std::size_t size);
    /// When the broker's silence means the link is dead: 1.5 times the keepalive after the last
    /// bytes received (section 3.1.2.10); none without a keepalive.
    [[nodiscard]] std::optional<TimePoint> silence_deadline() const;
    /// Handles one packet; false if the packet needs a delivery that may wait (PUBLISH).
    void handle_ack(const Packet& packet);
    void fill_output();
    /// The CONNACK's properties (5.0) for this connection: allowance and inflight window.
    void accept_allowance(const ConnackProperties& connack);
    void restore_session(bool session_present);
    void on_connection_lost(const std::string& reason);
    Task<> reconnect_with_backoff();
};

/// The background task: serves the connection, reconnects, until closed.
Task<> run_client(std::shared_ptr<Client::State> state);

}  // namespace asyncio::mqtt
