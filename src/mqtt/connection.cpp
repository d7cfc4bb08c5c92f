// One connection to the broker: the CONNECT/CONNACK handshake, the reader (packets in, acks,
// keepalive deadline), the writer (queued messages out, PINGREQ) and the reconnect loop.
#include "client_state.hpp"

#include <asyncio/core/errors.hpp>
#include <asyncio/core/exception_group.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/mqtt/topic.hpp>

#include <algorithm>
#include <random>

namespace asyncio::mqtt {
namespace {

TimePoint now() { return get_event_loop().time(); }

/// The writer stops moving queued messages into the connection's buffer above this: the rest
/// waits in the bounded queue, where publish() feels the back-pressure.
constexpr std::size_t kOutputHighWater = 64 * 1024;

ConnectFields connect_fields(const Options& options) {
    ConnectFields fields;
    fields.version = options.version;
    fields.client_id = options.client_id;
    fields.clean_start = options.clean_start;
    fields.keepalive_seconds = static_cast<std::uint16_t>(std::min<long long>(options.keepalive.count(), 0xFFFF));
    fields.session_expiry_interval = options.session_expiry_interval;
    // A 5.0 broker then drops what is larger for this client; a 3.1.1 broker cannot be told, so
    // read_loop() drops such a PUBLISH itself.
    fields.maximum_packet_size = static_cast<std::uint32_t>(std::min<std::size_t>(options.limits.max_packet_size, 0xFFFFFFFF));
    if (options.will) {
        fields.will = WillFields{options.will->topic, options.will->payload, options.will->qos, options.will->retain};
    }
    if (options.username) fields.username = *options.username;
    if (options.password) fields.password = *options.password;
    return fields;
}

std::string refusal_text(ProtocolVersion version, std::uint8_t code) {
    if (version == ProtocolVersion::v311) {
        // Section 3.2.2.3, Table 3.1.
        static constexpr const char* kReasons[] = {"accepted", "unacceptable protocol version",
                                                   "identifier rejected", "server unavailable",
                                                   "bad user name or password", "not authorized"};
        if (code < 6) return std::string("connection refused: ") + kReasons[code];
    }
    return "connection refused: return code " + std::to_string(code);
}

/// Receives more bytes into `stream`'s buffer. TimeoutError if none arrive by `deadline`;
/// MqttError if the broker closed the connection.
Task<> receive_more(Stream& stream, std::optional<TimePoint> deadline) {
    for (;;) {
        const std::optional<std::size_t> received = stream.try_receive();
        if (received) {
            if (*received == 0) throw MqttError("the broker closed the connection");
            co_return;
        }
        Timeout scope(deadline);
        try {
            co_await stream.wait_readable();
        } catch (const CancelledError&) {
            scope.rethrow_as_timeout();
        }
    }
}

bool is_publish(std::string_view bytes) {
    return !bytes.empty() && (static_cast<std::uint8_t>(bytes[0]) >> 4) == static_cast<std::uint8_t>(PacketType::publish);
}

std::uint16_t u16_at(std::string_view bytes, std::size_t at) {
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(bytes[at]) << 8) | static_cast<std::uint8_t>(bytes[at + 1]));
}

/// Decodes the next packet of `stream`'s buffer, receiving more while it is incomplete: a
/// complete one, or a PUBLISH too large to keep (too_large), which the caller drops as it
/// arrives. Any other packet over the limit, or a malformed one, is ProtocolError.
/// `deadline`: TimeoutError if nothing complete arrives by then.
Task<DecodeResult> next_packet(Stream& stream, const Options& options, std::optional<TimePoint> deadline) {
    for (;;) {
        DecodeResult result = decode_packet(stream.buffered(), options.version, options.limits.max_packet_size);
        if (result.status == DecodeStatus::complete) co_return result;
        if (result.status == DecodeStatus::too_large && is_publish(stream.buffered())) co_return result;
        if (result.status != DecodeStatus::incomplete) throw ProtocolError(result.error);
        co_await receive_more(stream, deadline);
    }
}

std::exception_ptr first_error(const ExceptionGroup& group) {
    return group.exceptions().empty() ? nullptr : group.exceptions().front();
}

std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const ExceptionGroup& group) {
        return first_error(group) ? describe(first_error(group)) : std::string("connection ended");
    } catch (const TimeoutError&) {
        return "keepalive timeout: nothing from the broker within 1.5 times the keepalive";
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown error";
    }
}

/// `text`, and the broker's Reason String (5.0) if it sent one.
std::string with_reason(std::string text, const Packet& packet) {
    if (!packet.reason_string.empty()) (text += ": ") += packet.reason_string;
    return text;
}

/// The connection to the broker, plain TCP unless options.open_stream says otherwise.
Task<Stream> open_stream(const Options& options) {
    if (options.open_stream) return options.open_stream(options.host, options.port);
    return open_connection(options.host, options.port);
}

}  // namespace

Task<> Client::State::establish() {
    auto self = shared_from_this();
    Stream connection = co_await open_stream(options);
    connection.set_nodelay(true);
    encode_connect(connection.output_buffer(), connect_fields(options));
    co_await connection.drain();
    const DecodeResult result = co_await next_packet(connection, options, std::nullopt);
    if (result.packet.type != PacketType::connack) throw ProtocolError("the broker's first packet is not CONNACK (section 3.2)");
    if (result.packet.reason_code != 0) {
        throw ConnectionRefused(result.packet.reason_code,
                                with_reason(refusal_text(options.version, result.packet.reason_code), result.packet));
    }
    const bool session_present = result.packet.session_present;
    accept_allowance(result.packet.connack);
    connection.consume(result.size);

    stream = std::move(connection);
    connected = true;
    last_received = last_sent = now();
    ++stats.connections;
    drop_requested.clear();
    restore_session(session_present);
    connected_event.set();
    writer_wake.set();
}

void Client::State::accept_allowance(const ConnackProperties& connack) {
    allowance.maximum_qos = connack.maximum_qos;
    allowance.retain_available = connack.retain_available;
    allowance.maximum_packet_size = connack.maximum_packet_size;
    allowance.keepalive = connack.server_keep_alive ? std::chrono::seconds(*connack.server_keep_alive) : options.keepalive;
    session.limit_window(connack.receive_maximum);
}

void Client::State::restore_session(bool session_present) {
    std::string& out = stream.output_buffer();
    // The broker lost our subscriptions (clean start, or its session expired): renew them before
    // anything is published, so nothing sent to them after the reconnect is missed. Their SUBACKs
    // have no waiter and are ignored.
    if (!session_present) {
        for (const auto& subscription : subscriptions) {
            encode_subscribe(out, options.version, session.allocate_packet_id(), subscription->filter, subscription->qos);
        }
    }
    // Section 4.4: resend unacknowledged PUBLISH packets with DUP set, and PUBREL packets.
    for (const Session::Inflight& entry : session.inflight()) {
        if (entry.stage == Session::Stage::awaiting_pubcomp) {
            encode_ack(out, PacketType::pubrel, entry.packet_id);
        } else {
            write_publish(entry.message, entry.packet_id, true);
        }
    }
}

Task<std::string> Client::State::serve() {
    try {
        co_await task_group([this](TaskGroup& group) -> Task<> {
            group.create_task(write_loop(), "mqtt-writer");
            group.create_task(watch_drop(), "mqtt-drop-watch");
            co_await read_loop();
        });
    } catch (const CancelledError&) {
        throw;
    } catch (...) {
        co_return describe(std::current_exception());
    }
    co_return std::string("connection ended");
}

Task<> Client::State::watch_drop() {
    co_await drop_requested.wait();
    throw MqttError("connection dropped (drop_connection())");
}

std::optional<TimePoint> Client::State::silence_deadline() const {
    const Duration keepalive = allowance.keepalive;
    if (keepalive.count() <= 0) return std::nullopt;
    return last_received + keepalive + keepalive / 2;
}

Task<> Client::State::read_loop() {
    for (;;) {
        const DecodeResult result = co_await next_packet(stream, options, silence_deadline());
        last_received = now();
        if (result.status == DecodeStatus::too_large) {
            co_await drop_too_large_publish(result.header_size, result.size);
            continue;
        }
        if (result.packet.type == PacketType::publish) {
            co_await deliver(result.packet);
        } else {
            handle_ack(result.packet);
        }
        stream.consume(result.size);
    }
}

Task<> Client::State::deliver(const Packet& packet) {
    const bool first_time = packet.qos != QoS::exactly_once || session.begin_incoming(packet.packet_id);
    if (first_time) {
        ++stats.messages_received;
        // A copy of the list: a put that waits lets subscriptions come and go meanwhile.
        const auto targets = subscriptions;
        for (const auto& subscription : targets) {
            if (!topic_matches(subscription->filter, packet.topic)) continue;
            Message message{std::string(packet.topic), std::string(packet.payload), packet.qos, packet.retain};
            if (!subscription->queue.try_put(std::move(message)) && !subscription->queue.is_shut_down()) {
                // The subscriber is behind: stop reading (TCP back-pressure) until it catches up,
                // or its subscription ends meanwhile (unsubscribed, destroyed, the client closed).
                // The message is named first: g++ 12 destroys a temporary in the co_await
                // expression twice when the put throws.
                Message waiting{std::string(packet.topic), std::string(packet.payload), packet.qos, packet.retain};
                try {
                    co_await subscription->queue.put(std::move(waiting));
                } catch (const QueueShutDown&) {
                    // nobody takes it any more: drop it for this subscription only
                }
                last_received = now();  // the broker was not silent: we did not read
            }
        }
    }
    if (packet.qos == QoS::at_least_once) encode_ack(stream.output_buffer(), PacketType::puback, packet.packet_id);
    if (packet.qos == QoS::exactly_once) encode_ack(stream.output_buffer(), PacketType::pubrec, packet.packet_id);
    if (packet.qos != QoS::at_most_once) writer_wake.set();
}

Task<> Client::State::drop_too_large_publish(std::size_t header_size, std::size_t size) {
    // A retained message too large to keep would otherwise close the connection, and come again
    // after every reconnection. Dropped as it arrives, it costs no more memory than a read.
    const int qos_bits = (static_cast<std::uint8_t>(stream.buffered()[0]) >> 1) & 3;
    if (qos_bits == 3) throw ProtocolError("PUBLISH with QoS 3 (section 3.3.1.2)");
    const auto qos = static_cast<QoS>(qos_bits);
    std::uint16_t packet_id = 0;
    if (qos != QoS::at_most_once) {
        // The packet identifier follows the topic name (section 3.3.2).
        while (stream.buffered().size() < header_size + 2) co_await receive_more(stream, silence_deadline());
        const std::size_t id_at = header_size + 2 + u16_at(stream.buffered(), header_size);
        if (id_at + 2 > size) throw ProtocolError("PUBLISH shorter than its topic name and packet identifier");
        while (stream.buffered().size() < id_at + 2) co_await receive_more(stream, silence_deadline());
        packet_id = u16_at(stream.buffered(), id_at);
    }
    for (std::size_t left = size;;) {
        const std::size_t here = std::min(left, stream.buffered().size());
        stream.consume(here);
        left -= here;
        if (left == 0) break;
        co_await receive_more(stream, silence_deadline());
        last_received = now();
    }
    ++stats.messages_too_large;
    if (qos == QoS::at_least_once) encode_ack(stream.output_buffer(), PacketType::puback, packet_id);
    if (qos == QoS::exactly_once) {
        (void)session.begin_incoming(packet_id);
        encode_ack(stream.output_buffer(), PacketType::pubrec, packet_id);
    }
    if (qos != QoS::at_most_once) writer_wake.set();
}

void Client::State::handle_ack(const Packet& packet) {
    switch (packet.type) {
    case PacketType::puback:
    case PacketType::pubcomp: {
        const auto stage = packet.type == PacketType::puback ? Session::Stage::awaiting_puback : Session::Stage::awaiting_pubcomp;
        if (auto completion = session.complete(packet.packet_id, stage)) {
            if (packet.reason_code >= 0x80) {
                completion->error = std::make_exception_ptr(
                    MqttError(with_reason("the broker refused the message, reason code " + std::to_string(packet.reason_code), packet)));
            }
            completion->done.set();
        }
        writer_wake.set();  // room in the inflight window
        return;
    }
    case PacketType::pubrec:
        // Section 4.3.3: answer PUBREC with PUBREL (also for an identifier we no longer know).
        (void)session.received(packet.packet_id);
        encode_ack(stream.output_buffer(), PacketType::pubrel, packet.packet_id);
        writer_wake.set();
        return;
    case PacketType::pubrel:
        session.release_incoming(packet.packet_id);
        encode_ack(stream.output_buffer(), PacketType::pubcomp, packet.packet_id);
        writer_wake.set();
        return;
    case PacketType::suback:
    case PacketType::unsuback:
        for (AckWaiter* waiter : ack_waiters) {
            if (waiter->packet_id == packet.packet_id && waiter->ack_type == packet.type) {
                waiter->codes = std::string(packet.return_codes);
                waiter->done.set();
            }
        }
        return;
    case PacketType::pingresp: return;
    case PacketType::disconnect:
        throw MqttError(with_reason("the broker sent DISCONNECT, reason code " + std::to_string(packet.reason_code), packet));
    default: throw ProtocolError("unexpected packet from the broker after CONNACK");
    }
}

void Client::State::fill_output() {
    while (stream.write_buffer_size() < kOutputHighWater) {
        if (!held) {
            std::optional<OutgoingMessage> next = outbox.try_get();
            if (!next) return;
            if (refuse_if_not_allowed(*next)) continue;  // queued before this connection's CONNACK
            held = std::move(*next);
        }
        if (held->qos == QoS::at_most_once) {
            write_publish(*held, 0, false);
        } else {
            if (!session.has_room()) return;
            const Session::Inflight& entry = session.add(session.allocate_packet_id(), std::move(*held));
            write_publish(entry.message, entry.packet_id, false);
        }
        held.reset();
    }
}

Task<> Client::State::write_loop() {
    const Duration keepalive = allowance.keepalive;  // this connection's
    for (;;) {
        writer_wake.clear();
        fill_output();
        if (stream.write_buffer_size() > 0) {
            co_await stream.drain();
            last_sent = now();
            continue;
        }
        std::optional<TimePoint> ping_due;
        if (keepalive.count() > 0) {
            ping_due = last_sent + keepalive;
            if (now() >= *ping_due) {
                encode_pingreq(stream.output_buffer());  // section 3.1.2.10
                continue;
            }
        }
        Timeout scope(ping_due);
        try {
            co_await writer_wake.wait();
        } catch (const CancelledError&) {
            try {
                scope.rethrow_as_timeout();
            } catch (const TimeoutError&) {
                // time to ping: the loop does it
            }
        }
    }
}

void Client::State::on_connection_lost(const std::string& reason) {
    connected = false;
    connected_event.clear();
    last_error = reason;
    ++stats.connection_losses;
    stream.abort();
    stream = Stream();
    for (AckWaiter* waiter : ack_waiters) {
        waiter->lost = true;
        waiter->done.set();
    }
}

Task<> Client::State::reconnect_with_backoff() {
    const ReconnectPolicy& policy = options.reconnect;
    std::minstd_rand random(static_cast<unsigned>(now().time_since_epoch().count()));
    std::uniform_real_distribution<double> spread(0.0, std::clamp(policy.jitter, 0.0, 1.0));
    double delay_ms = static_cast<double>(policy.initial_delay.count());
    for (;;) {
        const double jittered = delay_ms * (1.0 - spread(random));
        co_await sleep(std::chrono::milliseconds(static_cast<long long>(jittered)));
        try {
            co_await wait_for(establish(), options.connect_timeout);
            co_return;
        } catch (const CancelledError&) {
            throw;
        } catch (...) {
            last_error = describe(std::current_exception());
        }
        delay_ms = std::min(delay_ms * std::max(policy.multiplier, 1.0), static_cast<double>(policy.max_delay.count()));
    }
}

Task<> run_client(std::shared_ptr<Client::State> state) {
    try {
        for (;;) {
            const std::string reason = co_await state->serve();
            state->on_connection_lost(reason);
            if (state->closing || !state->options.reconnect.enabled) {
                state->close_for_good(reason);
                co_return;
            }
            co_await state->reconnect_with_backoff();
        }
    } catch (const CancelledError&) {
        // The reader and writer have ended (serve() waits for its task group): the socket can go.
        if (!state->disconnecting) state->stream.abort();
        if (!state->closing) throw;
    }
}

}  // namespace asyncio::mqtt
