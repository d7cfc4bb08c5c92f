#pragma once

#include <asyncio/core/event.hpp>
#include <asyncio/mqtt/packet.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace asyncio::mqtt {

/// Set when a QoS 1 or 2 publish is acknowledged (PUBACK, PUBCOMP) or can never be (`error`).
struct PublishCompletion {
    Event done;                ///< set once the exchange is over, either way
    std::exception_ptr error;  ///< null: acknowledged; else why not (ConnectionLost, a 5.0 refusal)
};

/// A message on its way out: queued, or in flight.
struct OutgoingMessage {
    std::string topic;            ///< a topic name, checked by publish()
    std::string payload;          ///< the message's bytes
    QoS qos = QoS::at_most_once;  ///< the QoS it is published with
    bool retain = false;          ///< the broker keeps it as the topic's retained message
    /// Null for QoS 0 (nobody waits for an acknowledgement).
    std::shared_ptr<PublishCompletion> completion;
};

/// The client's side of an MQTT session (section 4.1): the QoS 1 and 2 messages sent and not yet
/// acknowledged (resent after a reconnect, section 4.4), the QoS 2 messages received whose PUBREL
/// has not come yet, and the packet identifiers in use. No I/O: the client feeds it the acks.
class Session {
public:
    /// Where an outgoing QoS 1/2 message is in its exchange (sections 4.3.2, 4.3.3).
    enum class Stage : std::uint8_t { awaiting_puback, awaiting_pubrec, awaiting_pubcomp };
    /// One outgoing QoS 1/2 message in flight.
    struct Inflight {
        std::uint16_t packet_id = 0;           ///< its packet identifier
        Stage stage = Stage::awaiting_puback;  ///< the ack it waits for
        OutgoingMessage message;               ///< the message, kept to be resent
    };

    /// A session with a window of `max_inflight` messages in flight (0 is taken for 1).
    explicit Session(std::uint16_t max_inflight)
        : m_configured_window(max_inflight == 0 ? 1 : max_inflight), m_max_inflight(m_configured_window) {}

    /// The broker's Receive Maximum (5.0 section 3.2.2.3.3) for the current connection: the
    /// window is the smaller of it and the configured one. Messages in flight already stay.
    void limit_window(std::uint16_t broker_maximum) noexcept {
        m_max_inflight = std::max<std::uint16_t>(1, std::min(m_configured_window, broker_maximum));
    }
    /// The inflight window of the current connection.
    [[nodiscard]] std::uint16_t window() const noexcept { return m_max_inflight; }
    /// True if another QoS 1/2 message may be sent now (the inflight window).
    [[nodiscard]] bool has_room() const noexcept { return m_inflight.size() < m_max_inflight; }
    /// QoS 1/2 messages sent and not acknowledged yet.
    [[nodiscard]] std::size_t inflight_count() const noexcept { return m_inflight.size(); }
    /// Oldest first: the order they are resent in (section 4.6).
    [[nodiscard]] const std::deque<Inflight>& inflight() const noexcept { return m_inflight; }

    /// A packet identifier not in use by an inflight message nor reserved (section 2.3.1:
    /// non-zero, unique among the exchanges in progress).
    [[nodiscard]] std::uint16_t allocate_packet_id();
    /// Holds an identifier for a SUBSCRIBE/UNSUBSCRIBE waiting for its ack.
    void reserve(std::uint16_t packet_id) { m_reserved.push_back(packet_id); }
    /// Frees an identifier reserve() held (its ack came, or nobody waits any more).
    void release(std::uint16_t packet_id) noexcept;

    /// Starts the exchange of a QoS 1/2 message under `packet_id`.
    const Inflight& add(std::uint16_t packet_id, OutgoingMessage message);

    /// PUBACK (QoS 1) or PUBCOMP (QoS 2) for `packet_id`: the exchange is over; its completion
    /// (null if unknown or nobody waits). `expected` is the stage the ack ends.
    std::shared_ptr<PublishCompletion> complete(std::uint16_t packet_id, Stage expected);
    /// PUBREC: the QoS 2 message moves on to waiting for PUBCOMP. False if the id is unknown.
    bool received(std::uint16_t packet_id);

    /// An incoming QoS 2 PUBLISH: true the first time (deliver it), false for a resend of a
    /// message delivered already and not yet released (section 4.3.3, method B).
    bool begin_incoming(std::uint16_t packet_id);
    /// PUBREL: the incoming QoS 2 exchange is over.
    void release_incoming(std::uint16_t packet_id) noexcept;
    /// Incoming QoS 2 messages delivered whose PUBREL has not come yet.
    [[nodiscard]] std::size_t incoming_count() const noexcept { return m_incoming.size(); }

    /// Ends every exchange with `error` (the client is closed for good).
    void fail_all(const std::exception_ptr& error);

private:
    [[nodiscard]] bool in_use(std::uint16_t packet_id) const noexcept;

    std::uint16_t m_configured_window;
    std::uint16_t m_max_inflight;
    std::uint16_t m_last_id = 0;
    std::deque<Inflight> m_inflight;
    std::vector<std::uint16_t> m_reserved;
    std::vector<std::uint16_t> m_incoming;
};

}  // namespace asyncio::mqtt
