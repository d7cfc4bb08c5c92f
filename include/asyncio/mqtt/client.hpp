#pragma once

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
    /// PUBLISH packets larger than Limits::max_packet_size, dropped as they arrived (and
    /// acknowledged at QoS 1 and 2, so the broker does not send them again)
    std::uint64_t messages_too_large = 0;
    /// Queued messages the broker of the connection they would have gone out on does not allow
    /// (5.0 CONNACK: Maximum QoS, Retain Available, Maximum Packet Size): their publish() failed
    /// with LimitExceeded instead (a QoS 0 message's is over already; it is only counted)
    std::uint64_t messages_refused = 0;
};

/// The messages of one subscription, in the order the broker sent them.
/// Client::subscribe() returns it; it buffers up to Limits::max_subscription_backlog messages.
class Subscription {
public:
    struct State;
    /// A Subscription of nothing: only assignment and destruction are valid on it.
    Subscription() = default;
    /// For Client::subscribe(): a Subscription over the state the client delivers to.
    explicit Subscription(std::shared_ptr<State> state) noexcept : m_state(std::move(state)) {}
    /// Takes over `other`'s subscription; `other` is left empty.
    Subscription(Subscription&&) noexcept = default;
    /// Stops delivery to this object's own subscription (as the destructor), then takes over
    /// `other`'s.
    Subscription& operator=(Subscription&&) noexcept;
    /// Stops delivery to this object; a get() still waiting on it ends with ConnectionLost. It
    /// does not send UNSUBSCRIBE: use Client::unsubscribe.
    ~Subscription();

    /// The topic filter it was made with ("sensors/+/temperature").
    [[nodiscard]] const std::string& filter() const noexcept;
    /// The QoS asked for in SUBSCRIBE (the broker may grant a lower one; each Message says
    /// which it came with).
    [[nodiscard]] QoS qos() const noexcept;
    /// Messages received and not taken yet.
    [[nodiscard]] std::size_t pending() const noexcept;

    /// Suspends when: no message is buffered. Resumed by: the client's reader when a message
    /// matching the filter arrives; the subscription's end (below).
    /// Returns: the oldest message. Errors: ConnectionLost once the client is closed for good,
    /// the filter unsubscribed or the Subscription destroyed (or move-assigned over), and the
    /// buffered messages are taken. Cancellation: takes nothing, throws CancelledError.
    /// Lifetime: only the call needs the Subscription; the wait holds the subscription's state
    /// itself, and the Subscription's destruction ends it with ConnectionLost.
    [[nodiscard]] Task<Message> get();
    /// messages() is get() under the name aiomqtt uses for its iterator.
    [[nodiscard]] Task<Message> messages() { return get(); }
    /// A buffered message, or std::nullopt without waiting.
    [[nodiscard]] std::optional<Message> get_nowait();

private:
    void detach() noexcept;
    std::shared_ptr<State> m_state;
};

/// An MQTT client on asyncio streams, in the spirit of aiomqtt and gmqtt.
///
///     asyncio::mqtt::Options options;
///     options.host = "127.0.0.1";
///     options.client_id = "sensor-1";
///     asyncio::mqtt::Client client(options);
///     co_await client.connect();
///     auto sub = co_await client.subscribe("sensors/+/temperature", QoS::at_least_once);
///     co_await client.publish("sensors/1/temperature", "21.5", QoS::at_least_once);
///     asyncio::mqtt::Message message = co_await sub.get();
///     co_await client.disconnect();
///
/// After connect() the client runs by itself in a background task: it reads from the broker,
/// sends what is queued, pings the broker (keepalive), and when the connection is lost it
/// reconnects with exponential back-off and jitter, subscribes again (when the broker did not
/// keep the session) and resends the QoS 1/2 messages not yet acknowledged with DUP set. It
/// runs on the io layer's Stream only, so on every back-end (epoll, poll(), lwIP).
///
/// Lifetime: Client and Subscription hold shared state; the background task, and every
/// operation in progress, keeps what it needs alive, so only the call itself needs the Client.
/// Destroy (or disconnect()) a Client before its event loop ends. Destroying it without
/// disconnect() drops the connection as a crash would: the broker publishes the will.
/// All members are for the loop's thread only.
class Client {
public:
    struct State;
    /// A client configured with `options`, not connected: nothing happens until connect().
    explicit Client(Options options);
    /// Takes over `other`'s client; `other` is left empty (only assignment and destruction are
    /// valid on it).
    Client(Client&&) noexcept = default;
    /// Drops this object's own client as the destructor does (the broker publishes its will),
    /// then takes over `other`'s.
    Client& operator=(Client&&) noexcept;
    /// Stops the background task and drops the connection without DISCONNECT (the broker
    /// publishes the will).
    ~Client();

    /// Suspends when: the TCP connection opens (with Options::open_stream, also TLS shakes
    /// hands) and CONNECT/CONNACK are exchanged: at most options.connect_timeout in all (then
    /// TimeoutError). Resumed by: the poller, last by the broker's CONNACK.
    /// Returns: once connected; the background task is started then.
    /// Errors: ConnectionRefused (with the broker's code), std::system_error (TCP), TlsError
    /// (over TLS), TimeoutError, ProtocolError, MqttError (the broker closed the connection
    /// before CONNACK), InvalidStateError if called while another connect() runs or after one
    /// succeeded. Before anything is sent: LimitExceeded if client_id, the will's topic or
    /// payload, username or password is longer than the 65535 bytes CONNECT can carry,
    /// std::invalid_argument if the will's topic is not a valid topic name. ConnectionLost if
    /// the Client was destroyed, or disconnect() called, while it ran: the new connection is
    /// closed and the client stays closed. No automatic retry for this first connection: the
    /// caller decides (a failed connect() may be called again).
    /// Cancellation: the attempt is abandoned, the socket closed, CancelledError.
    /// Lifetime: only the call needs the Client.
    [[nodiscard]] Task<> connect();

    /// Publishes `payload` to `topic`.
    /// Suspends when: the queue holds options.limits.max_queued messages (back-pressure; with
    /// options.fail_when_queue_full it throws asyncio::QueueFull instead); for QoS 1/2 also
    /// until the broker acknowledges the message (PUBACK / PUBCOMP), across reconnects.
    /// Resumed by: the client's writer taking a message from the queue; the client's reader
    /// receiving the acknowledgement.
    /// Returns: QoS 0: as soon as the message is written to the connection's buffer (or queued
    /// while offline); connected, with nothing queued ahead of it, it neither suspends nor
    /// allocates. QoS 1/2: once acknowledged. Errors: std::invalid_argument (topic not a valid topic name),
    /// LimitExceeded (topic longer than max_topic_length, packet larger than max_packet_size;
    /// 5.0: a QoS above the broker's Maximum QoS, RETAIN where it has no Retain Available, a
    /// packet above its Maximum Packet Size, checked against the connection it goes out on),
    /// ConnectionLost (closed for good, before or while it waits), MqttError (5.0: the broker
    /// refused the message with a reason code >= 0x80). The checks run in the call itself, so
    /// they throw before the co_await. Cancellation: while waiting for room, nothing is queued;
    /// while waiting for the acknowledgement, the message stays queued/inflight and is still
    /// delivered, only the wait ends. The topic and payload are copied before any suspension.
    /// Lifetime: only the call needs the Client.
    [[nodiscard]] detail::MaybeTask<void> publish(std::string_view topic, std::string_view payload,
                                                  QoS qos = QoS::at_most_once, bool retain = false);

    /// Subscribes to `filter`.
    /// Suspends when: the broker's SUBACK has not come (the client waits for a connection first
    /// if offline, and sends SUBSCRIBE again if the connection drops meanwhile). Resumed by: the
    /// client's reader receiving the SUBACK (or a connection being made, to send it then).
    /// Returns: the Subscription, which receives every message matching `filter` from the
    /// moment SUBSCRIBE is sent (retained messages included). The subscription is renewed after
    /// every reconnect where the broker lost the session.
    /// Errors: std::invalid_argument (invalid filter), LimitExceeded, SubscribeRefused,
    /// ConnectionLost. Cancellation: the local subscription is removed, CancelledError (the
    /// broker may still have it: unsubscribe to be sure). Lifetime: only the call needs the
    /// Client.
    [[nodiscard]] Task<Subscription> subscribe(std::string filter, QoS qos = QoS::at_most_once);

    /// Unsubscribes from `filter`: local subscriptions with this filter stop receiving at the
    /// call (their get() ends with ConnectionLost once empty) and are not renewed.
    /// Suspends when, resumed by: as subscribe(), until the broker's UNSUBACK. Returns: void.
    /// Errors: std::invalid_argument (invalid filter), LimitExceeded, ConnectionLost; the
    /// broker's UNSUBACK codes are not checked. Cancellation: CancelledError; the local
    /// subscriptions stay ended, the broker may still have the subscription. Lifetime: only the
    /// call needs the Client.
    [[nodiscard]] Task<> unsubscribe(std::string filter);

    /// Sends DISCONNECT (the broker discards the will), closes the connection and stops the
    /// background task. Queued QoS 0 messages are sent first if connected; waiting publishers
    /// and subscribers get ConnectionLost. Idempotent; a client never connected is just closed.
    /// Suspends when: the background task has not ended yet, then while what is buffered and
    /// DISCONNECT are sent (at most 2 s). Resumed by: the task's end, then the poller (or the
    /// 2 s limit).
    /// Returns: void; a flush that fails or times out only closes the connection sooner.
    /// Cancellation: CancelledError; the client is closed all the same, as the destructor leaves
    /// it: the background task is stopped and the connection dropped without DISCONNECT if it
    /// was not sent yet (the broker then publishes the will).
    /// Lifetime: only the call needs the Client.
    [[nodiscard]] Task<> disconnect();

    /// Suspends when: the client is not connected (before connect(), or while it reconnects).
    /// Resumed by: a CONNACK (connect() or a reconnection), or the client closing for good.
    /// Returns: once connected (at once if connected). Errors: ConnectionLost when closed.
    /// Cancellation: CancelledError. Lifetime: only the call needs the Client.
    [[nodiscard]] Task<> wait_connected();
    /// Suspends when: the client is not closed for good. Resumed by: disconnect(), the Client's
    /// destruction, or a lost connection with reconnect off. Returns: void; last_error() says
    /// why. Cancellation: CancelledError. Lifetime: only the call needs the Client.
    [[nodiscard]] Task<> wait_closed();

    /// Drops the connection now, without DISCONNECT, as a failed link would: the broker
    /// publishes the will; the client reconnects if reconnect is on.
    void drop_connection();

    /// A CONNACK was received and the connection has not been lost since.
    [[nodiscard]] bool is_connected() const noexcept;
    /// Closed for good (see wait_closed()): every operation now throws ConnectionLost.
    [[nodiscard]] bool is_closed() const noexcept;
    /// Why the last connection ended ("" if none did).
    [[nodiscard]] const std::string& last_error() const noexcept;
    /// A copy of the counters now.
    [[nodiscard]] ClientStats stats() const noexcept;
    /// Messages waiting to be sent (publish() waits once Limits::max_queued are).
    [[nodiscard]] std::size_t queued() const noexcept;
    /// QoS 1/2 messages sent and not acknowledged yet (at most Limits::max_inflight).
    [[nodiscard]] std::size_t inflight() const noexcept;
    /// The options given to the constructor.
    [[nodiscard]] const Options& options() const noexcept;

private:
    std::shared_ptr<State> m_state;
};

/// asyncio::mqtt::connect(options): a Client, connected. Suspends, resumes, throws and is
/// cancelled as Client::connect(); the Client is then the caller's.
[[nodiscard]] Task<Client> connect(Options options);

}  // namespace asyncio::mqtt
