#pragma once
// An MQTT client on asyncio streams, in the spirit of aiomqtt and gmqtt.
//
//   asyncio::mqtt::Options options;
//   options.host = "127.0.0.1";
//   options.client_id = "sensor-1";
//   asyncio::mqtt::Client client(options);
//   co_await client.connect();
//   auto sub = co_await client.subscribe("sensors/+/temperature", QoS::at_least_once);
//   co_await client.publish("sensors/1/temperature", "21.5", QoS::at_least_once);
//   asyncio::mqtt::Message message = co_await sub.get();
//   co_await client.disconnect();
//
// After connect() the client runs by itself in a background task: it reads from the broker,
// sends what is queued, pings the broker (keepalive), and when the connection is lost it
// reconnects with exponential back-off and jitter, subscribes again (when the broker did not
// keep the session) and resends the QoS 1/2 messages not yet acknowledged with DUP set. It
// runs on the io layer's Stream only, so on every back-end (epoll, poll(), lwIP).
//
// Lifetime: Client and Subscription hold shared state; the background task keeps what it
// needs alive. Destroy (or disconnect()) a Client before its event loop ends. Destroying it
// without disconnect() drops the connection as a crash would: the broker publishes the will.
// All members are for the loop's thread only.

#include <asyncio/core/detail/maybe_task.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/mqtt/errors.hpp>
#include <asyncio/mqtt/message.hpp>
#include <asyncio/mqtt/options.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace asyncio::mqtt {

/// What the client did, for logs and metrics. Counters only grow.
struct ClientStats {
    std::uint64_t connections = 0;       ///< successful CONNECT/CONNACK exchanges
    std::uint64_t connection_losses = 0;  ///< connections that ended without disconnect()
    std::uint64_t messages_sent = 0;      ///< PUBLISH packets written (resends included)
    std::uint64_t messages_received = 0;  ///< PUBLISH packets delivered to subscriptions
};

/// The messages of one subscription, in the order the broker sent them.
class Subscription {
public:
    struct State;
    Subscription() = default;
    explicit Subscription(std::shared_ptr<State> state) noexcept : m_state(std::move(state)) {}
    Subscription(Subscription&&) noexcept = default;
    Subscription& operator=(Subscription&&) noexcept;
    /// Stops delivery to this object. It does not send UNSUBSCRIBE: use Client::unsubscribe.
    ~Subscription();

    [[nodiscard]] const std::string& filter() const noexcept;
    [[nodiscard]] QoS qos() const noexcept;
    /// Messages received and not taken yet.
    [[nodiscard]] std::size_t pending() const noexcept;

    /// Suspends when: no message is buffered. Resumed by: the client's reader when a message
    /// matching the filter arrives. Returns: the oldest message. Errors: ConnectionLost once the
    /// client is closed for good and the buffered messages are taken. Cancellation: takes
    /// nothing, throws CancelledError. Lifetime: the Subscription must outlive the call.
    [[nodiscard]] Task<Message> get();
    /// messages() is get() under the name aiomqtt uses for its iterator.
    [[nodiscard]] Task<Message> messages() { return get(); }
    /// A buffered message, or std::nullopt without waiting.
    [[nodiscard]] std::optional<Message> get_nowait();

private:
    void detach() noexcept;
    std::shared_ptr<State> m_state;
};

class Client {
public:
    struct State;
    explicit Client(Options options);
    Client(Client&&) noexcept = default;
    Client& operator=(Client&&) noexcept;
    /// Stops the background task and drops the connection without DISCONNECT (the broker
    /// publishes the will).
    ~Client();

    /// Suspends while: the TCP connection opens and CONNECT/CONNACK are exchanged (at most
    /// options.connect_timeout: TimeoutError). Resumed by: the broker's CONNACK. Returns once
    /// connected; then the background task is started. Errors: ConnectionRefused (with the
    /// broker's code), std::system_error (TCP), TimeoutError, ProtocolError, InvalidStateError
    /// if called twice. No automatic retry for this first connection: the caller decides.
    /// Cancellation: the attempt is abandoned, the socket closed, CancelledError.
    [[nodiscard]] Task<> connect();

    /// QoS 0: returns as soon as the message is written to the connection's buffer (or queued
    /// while offline) — with room in the queue it does not suspend and allocates nothing.
    /// QoS 1/2: suspends until the broker acknowledged it (PUBACK / PUBCOMP), across reconnects.
    /// Suspends also while the queue holds options.limits.max_queued messages (back-pressure),
    /// resumed when the writer takes one; with options.fail_when_queue_full it throws
    /// asyncio::QueueFull instead. Errors: std::invalid_argument (topic not a valid topic name),
    /// LimitExceeded (topic longer than max_topic_length, packet larger than max_packet_size),
    /// ConnectionLost (closed for good). Cancellation: while waiting for room, nothing is queued;
    /// while waiting for the acknowledgement, the message stays queued/inflight and is still
    /// delivered, only the wait ends. The topic and payload are copied before any suspension.
    [[nodiscard]] detail::MaybeTask<void> publish(std::string_view topic, std::string_view payload,
                                                  QoS qos = QoS::at_most_once, bool retain = false);

    /// Suspends until the broker's SUBACK (waiting for a connection first if offline; resent if
    /// the connection drops meanwhile). Returns the Subscription, which receives every message
    /// matching `filter` from the moment SUBSCRIBE is sent (retained messages included). The
    /// subscription is renewed after every reconnect where the broker lost the session.
    /// Errors: std::invalid_argument (invalid filter), LimitExceeded, SubscribeRefused,
    /// ConnectionLost. Cancellation: the local subscription is removed, CancelledError (the
    /// broker may still have it: unsubscribe to be sure).
    [[nodiscard]] Task<Subscription> subscribe(std::string filter, QoS qos = QoS::at_most_once);

    /// Suspends until the broker's UNSUBACK. Local subscriptions with this filter stop
    /// receiving (their get() ends with ConnectionLost once empty) and are not renewed.
    /// Errors and cancellation: as subscribe().
    [[nodiscard]] Task<> unsubscribe(std::string filter);

    /// Sends DISCONNECT (the broker discards the will), closes the connection and stops the
    /// background task. Queued QoS 0 messages are sent first if connected; waiting publishers
    /// and subscribers get ConnectionLost. Suspends for the flush (at most 2 s). Idempotent.
    [[nodiscard]] Task<> disconnect();

    /// Suspends until connected (at once if connected). Errors: ConnectionLost when closed.
    /// Cancellation: CancelledError.
    [[nodiscard]] Task<> wait_connected();
    /// Suspends until the client is closed for good (disconnect(), or a lost connection with
    /// reconnect off); last_error() says why.
    [[nodiscard]] Task<> wait_closed();

    /// Drops the connection now, without DISCONNECT, as a failed link would: the broker
    /// publishes the will; the client reconnects if reconnect is on.
    void drop_connection();

    [[nodiscard]] bool is_connected() const noexcept;
    [[nodiscard]] bool is_closed() const noexcept;
    /// Why the last connection ended ("" if none did).
    [[nodiscard]] const std::string& last_error() const noexcept;
    [[nodiscard]] ClientStats stats() const noexcept;
    /// Messages waiting to be sent / QoS 1/2 messages sent and not acknowledged yet.
    [[nodiscard]] std::size_t queued() const noexcept;
    [[nodiscard]] std::size_t inflight() const noexcept;
    [[nodiscard]] const Options& options() const noexcept;

private:
    std::shared_ptr<State> m_state;
};

/// asyncio::mqtt::connect(options): a Client, connected (see Client::connect()).
[[nodiscard]] Task<Client> connect(Options options);

}  // namespace asyncio::mqtt
