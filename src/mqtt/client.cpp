// The public operations of Client and Subscription.
#include "client_state.hpp"

#include <asyncio/core/errors.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/mqtt/topic.hpp>

#include <algorithm>
#include <stdexcept>

namespace asyncio::mqtt {
namespace {

/// Above this many bytes waiting in the connection's buffer, publish() queues instead of
/// writing directly (the queue is where back-pressure is applied).
constexpr std::size_t kDirectWriteLimit = 64 * 1024;

void check_topic_length(std::string_view topic, const Limits& limits) {
    if (topic.size() > limits.max_topic_length || topic.size() > kMaxStringLength) {
        throw LimitExceeded("topic of " + std::to_string(topic.size()) + " bytes exceeds max_topic_length (" +
                            std::to_string(limits.max_topic_length) + ")");
    }
}

void check_publish(std::string_view topic, std::string_view payload, QoS qos, const Options& options) {
    check_topic_length(topic, options.limits);
    if (!is_valid_topic_name(topic)) throw std::invalid_argument("not a valid MQTT topic name: '" + std::string(topic) + "'");
    const std::size_t size = publish_packet_size(options.version, PublishFields{topic, payload, qos, false, false, 1});
    if (size > options.limits.max_packet_size || size - 5 > kMaxRemainingLength) {
        throw LimitExceeded("PUBLISH of " + std::to_string(size) + " bytes exceeds max_packet_size (" +
                            std::to_string(options.limits.max_packet_size) + ")");
    }
}

/// CONNECT's strings and binary fields carry two-byte lengths (sections 1.5.3, 3.1.3): a longer
/// one would be sent with its length modulo 65536, a malformed packet.
void check_connect_field(const char* name, std::string_view value) {
    if (value.size() > kMaxStringLength) {
        throw LimitExceeded(std::string(name) + " of " + std::to_string(value.size()) +
                            " bytes exceeds the 65535 bytes CONNECT can carry");
    }
}

void check_connect_fields(const Options& options) {
    check_connect_field("client_id", options.client_id);
    if (options.will) {
        check_connect_field("will topic", options.will->topic);
        check_connect_field("will payload", options.will->payload);
        if (!is_valid_topic_name(options.will->topic)) {
            throw std::invalid_argument("not a valid MQTT topic name for the will: '" + options.will->topic + "'");
        }
    }
    if (options.username) check_connect_field("username", *options.username);
    if (options.password) check_connect_field("password", *options.password);
}

void check_filter(std::string_view filter, const Options& options) {
    check_topic_length(filter, options.limits);
    if (!is_valid_topic_filter(filter)) throw std::invalid_argument("not a valid MQTT topic filter: '" + std::string(filter) + "'");
}

/// Registers an AckWaiter (and its packet identifier) for the time of one wait.
class AckRegistration {
public:
    AckRegistration(Client::State& state, AckWaiter& waiter) : m_state(state), m_waiter(waiter) {
        m_state.session.reserve(waiter.packet_id);
        m_state.ack_waiters.push_back(&waiter);
    }
    AckRegistration(const AckRegistration&) = delete;
    AckRegistration& operator=(const AckRegistration&) = delete;
    ~AckRegistration() {
        m_state.session.release(m_waiter.packet_id);
        std::erase(m_state.ack_waiters, &m_waiter);
    }

private:
    Client::State& m_state;
    AckWaiter& m_waiter;
};

/// Sends SUBSCRIBE or UNSUBSCRIBE once connected and waits for its ack, sending again after a
/// reconnect if the connection dropped first. Returns the ack's return codes.
Task<std::string> request_ack(std::shared_ptr<Client::State> state, PacketType type, std::string filter, QoS qos) {
    for (;;) {
        if (state->closed) throw ConnectionLost("the client is closed: " + state->last_error);
        if (!state->connected) {
            co_await state->connected_event.wait();
            continue;
        }
        AckWaiter waiter;
        waiter.packet_id = state->session.allocate_packet_id();
        waiter.ack_type = type == PacketType::subscribe ? PacketType::suback : PacketType::unsuback;
        AckRegistration registration(*state, waiter);
        std::string& out = state->stream.output_buffer();
        if (type == PacketType::subscribe) {
            encode_subscribe(out, state->options.version, waiter.packet_id, filter, qos);
        } else {
            encode_unsubscribe(out, state->options.version, waiter.packet_id, filter);
        }
        state->writer_wake.set();
        co_await waiter.done.wait();
        if (!waiter.lost) co_return waiter.codes;
    }
}

Task<> publish_queued(std::shared_ptr<Client::State> state, OutgoingMessage message) {
    std::shared_ptr<PublishCompletion> completion;
    if (message.qos != QoS::at_most_once) {
        completion = std::make_shared<PublishCompletion>();
        message.completion = completion;
    }
    if (state->options.fail_when_queue_full) {
        if (!state->outbox.try_put(std::move(message))) throw QueueFull();  // max_queued messages wait already
    } else {
        try {
            co_await state->outbox.put(std::move(message));
        } catch (const QueueShutDown&) {
            throw ConnectionLost("the client is closed: " + state->last_error);
        }
    }
    state->writer_wake.set();
    if (!completion) co_return;
    co_await completion->done.wait();
    if (completion->error) std::rethrow_exception(completion->error);
}

}  // namespace

// --- Client::State ---

bool Client::State::can_write_directly() const noexcept {
    return connected && outbox.empty() && !held && stream.write_buffer_size() < kDirectWriteLimit;
}

void Client::State::write_publish(const OutgoingMessage& message, std::uint16_t packet_id, bool dup) {
    encode_publish(stream.output_buffer(), options.version,
                   PublishFields{message.topic, message.payload, message.qos, message.retain, dup, packet_id});
    ++stats.messages_sent;
}

void Client::State::check_allowed(std::string_view topic, std::string_view payload, QoS qos, bool retain) const {
    if (qos > allowance.maximum_qos) {
        throw LimitExceeded("QoS " + std::to_string(static_cast<int>(qos)) + " exceeds the broker's Maximum QoS (" +
                            std::to_string(static_cast<int>(allowance.maximum_qos)) + ")");
    }
    if (retain && !allowance.retain_available) throw LimitExceeded("the broker does not accept retained messages");
    if (allowance.maximum_packet_size == 0) return;
    const std::size_t size = publish_packet_size(options.version, PublishFields{topic, payload, qos, retain, false, 1});
    if (size > allowance.maximum_packet_size) {
        throw LimitExceeded("PUBLISH of " + std::to_string(size) + " bytes exceeds the broker's Maximum Packet Size (" +
                            std::to_string(allowance.maximum_packet_size) + ")");
    }
}

bool Client::State::refuse_if_not_allowed(OutgoingMessage& message) {
    try {
        check_allowed(message.topic, message.payload, message.qos, message.retain);
        return false;
    } catch (const LimitExceeded&) {
        ++stats.messages_refused;
        if (message.completion) {
            message.completion->error = std::current_exception();
            message.completion->done.set();
        }
        return true;
    }
}

void Client::State::close_for_good(const std::string& reason) {
    if (closed) return;
    closed = true;
    connected = false;
    if (last_error.empty()) last_error = reason;
    const auto error = std::make_exception_ptr(ConnectionLost("the client is closed: " + reason));
    session.fail_all(error);
    if (held && held->completion) {
        held->completion->error = error;
        held->completion->done.set();
    }
    held.reset();
    while (std::optional<OutgoingMessage> message = outbox.try_get()) {
        if (message->completion) {
            message->completion->error = error;
            message->completion->done.set();
        }
    }
    outbox.shutdown();
    for (const auto& subscription : subscriptions) subscription->queue.shutdown();
    for (AckWaiter* waiter : ack_waiters) {
        waiter->lost = true;
        waiter->done.set();
    }
    connected_event.set();  // wakes wait_connected(), which then sees `closed`
    closed_event.set();
}

void Client::State::remove_subscription(const Subscription::State* subscription) noexcept {
    std::erase_if(subscriptions, [&](const auto& entry) { return entry.get() == subscription; });
}

// --- Client ---

Client::Client(Options options) : m_state(std::make_shared<State>(std::move(options))) {}

Client& Client::operator=(Client&& other) noexcept {
    if (this != &other) {
        Client dropped(std::move(*this));
        m_state = std::move(other.m_state);
    }
    return *this;
}

Client::~Client() {
    if (!m_state) return;
    m_state->closing = true;
    if (m_state->runner) {
        // Dropped, not awaited: the task keeps the state alive until it has unwound, and aborts
        // the connection then (run_client).
        m_state->runner->cancel();
        m_state->runner.reset();
    }
    m_state->close_for_good("the client was destroyed");
}

Task<> Client::connect() {
    auto state = m_state;
    if (state->started) throw InvalidStateError("connect() called twice on an MQTT client");
    check_connect_fields(state->options);
    state->started = true;
    try {
        co_await wait_for(state->establish(), state->options.connect_timeout);
    } catch (...) {
        state->started = false;
        throw;
    }
    if (state->closing || state->closed) {
        // The Client was destroyed, or disconnect() called, while this ran: the connection has
        // no owner, so it goes now instead of being served in the background.
        state->connected = false;
        state->stream.abort();
        state->stream = Stream();
        state->close_for_good("the client was closed while connecting");
        throw ConnectionLost("the client is closed: " + state->last_error);
    }
    state->runner.emplace(create_task(run_client(state), "mqtt-client"));
}

detail::MaybeTask<void> Client::publish(std::string_view topic, std::string_view payload, QoS qos, bool retain) {
    State& state = *m_state;
    check_publish(topic, payload, qos, state.options);
    if (state.closed) throw ConnectionLost("the client is closed: " + state.last_error);
    if (state.connected) state.check_allowed(topic, payload, qos, retain);  // offline: when sent
    if (qos == QoS::at_most_once && state.can_write_directly()) {
        // The steady state: straight into the connection's buffer, no copy, no allocation.
        encode_publish(state.stream.output_buffer(), state.options.version, PublishFields{topic, payload, qos, retain, false, 0});
        ++state.stats.messages_sent;
        state.writer_wake.set();
        return detail::MaybeTask<void>::ready();
    }
    return publish_queued(m_state, OutgoingMessage{std::string(topic), std::string(payload), qos, retain, nullptr});
}

Task<Subscription> Client::subscribe(std::string filter, QoS qos) {
    auto state = m_state;
    check_filter(filter, state->options);
    if (state->closed) throw ConnectionLost("the client is closed: " + state->last_error);
    auto subscription = std::make_shared<Subscription::State>(filter, qos, state->options.limits.max_subscription_backlog);
    subscription->client = state;
    state->subscriptions.push_back(subscription);
    std::string codes;
    try {
        codes = co_await request_ack(state, PacketType::subscribe, filter, qos);
    } catch (...) {
        state->remove_subscription(subscription.get());
        throw;
    }
    const auto code = static_cast<std::uint8_t>(codes.empty() ? 0x80 : codes.front());
    if (code >= 0x80) {
        state->remove_subscription(subscription.get());
        throw SubscribeRefused(code, "the broker refused the subscription to '" + filter + "' (code " + std::to_string(code) + ")");
    }
    co_return Subscription(std::move(subscription));
}

Task<> Client::unsubscribe(std::string filter) {
    auto state = m_state;
    check_filter(filter, state->options);
    for (const auto& subscription : state->subscriptions) {
        if (subscription->filter == filter) subscription->queue.shutdown();
    }
    std::erase_if(state->subscriptions, [&](const auto& entry) { return entry->filter == filter; });
    (void)co_await request_ack(state, PacketType::unsubscribe, std::move(filter), QoS::at_most_once);
}

Task<> Client::disconnect() {
    auto state = m_state;
    if (state->closed || !state->started) {
        state->close_for_good("disconnect() called");
        co_return;
    }
    state->closing = true;
    state->disconnecting = true;
    try {
        if (state->runner) {
            state->runner->cancel();
            try {
                co_await *state->runner;
            } catch (const CancelledError&) {
                // A runner cancelled before its first step ends cancelled; only a cancellation of
                // this task goes on.
                if (current_task().cancelling() > 0) throw;
            }
            state->runner.reset();
        }
        if (state->connected) {
            // Queued QoS 0 messages first, then DISCONNECT (section 3.14): the broker drops the will.
            state->fill_output();
            encode_disconnect(state->stream.output_buffer(), state->options.version);
            try {
                co_await wait_for(state->stream.drain(), std::chrono::seconds(2));
            } catch (const CancelledError&) {
                throw;
            } catch (...) {
                // The connection is going anyway.
            }
            state->stream.close();
            state->stream = Stream();
        }
    } catch (const CancelledError&) {
        // Cancelled half-way: the client ends closed all the same, as the destructor leaves it.
        // The connection is dropped (a runner still unwinding finds the socket closed; the
        // Stream object stays, as its reader and writer may still refer to it).
        state->disconnecting = false;
        if (state->runner) {
            state->runner->cancel();
            state->runner.reset();
        }
        state->stream.abort();
        state->close_for_good("disconnect() was cancelled");
        throw;
    }
    state->close_for_good("disconnect() called");
}

Task<> Client::wait_connected() {
    auto state = m_state;
    while (!state->connected) {
        if (state->closed) throw ConnectionLost("the client is closed: " + state->last_error);
        co_await state->connected_event.wait();
    }
}

Task<> Client::wait_closed() {
    auto state = m_state;
    co_await state->closed_event.wait();
}

void Client::drop_connection() {
    if (m_state->connected) m_state->drop_requested.set();
}

bool Client::is_connected() const noexcept { return m_state->connected; }
bool Client::is_closed() const noexcept { return m_state->closed; }
const std::string& Client::last_error() const noexcept { return m_state->last_error; }
ClientStats Client::stats() const noexcept { return m_state->stats; }
std::size_t Client::queued() const noexcept { return m_state->outbox.qsize() + (m_state->held ? 1 : 0); }
std::size_t Client::inflight() const noexcept { return m_state->session.inflight_count(); }
const Options& Client::options() const noexcept { return m_state->options; }

Task<Client> connect(Options options) {
    Client client(std::move(options));
    co_await client.connect();
    co_return client;
}

// --- Subscription ---

Subscription& Subscription::operator=(Subscription&& other) noexcept {
    if (this != &other) {
        detach();
        m_state = std::move(other.m_state);
    }
    return *this;
}

Subscription::~Subscription() { detach(); }

void Subscription::detach() noexcept {
    if (!m_state) return;
    if (auto client = m_state->client.lock()) client->remove_subscription(m_state.get());
    m_state->queue.shutdown();  // a get() still waiting ends (ConnectionLost) instead of waiting for good
    m_state.reset();
}

const std::string& Subscription::filter() const noexcept { return m_state->filter; }
QoS Subscription::qos() const noexcept { return m_state->qos; }
std::size_t Subscription::pending() const noexcept { return m_state->queue.qsize(); }

Task<Message> Subscription::get() {
    auto state = m_state;
    try {
        co_return co_await state->queue.get();
    } catch (const QueueShutDown&) {
        throw ConnectionLost("the subscription ended (client closed, unsubscribed, or the Subscription destroyed)");
    }
}

std::optional<Message> Subscription::get_nowait() { return m_state->queue.try_get(); }

}  // namespace asyncio::mqtt
