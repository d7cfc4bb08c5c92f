// Session state: packet identifiers, outgoing and incoming QoS 1/2 exchanges.
#include <asyncio/mqtt/session.hpp>

#include <algorithm>

namespace asyncio::mqtt {
namespace {

void erase_value(std::vector<std::uint16_t>& ids, std::uint16_t id) noexcept {
    const auto it = std::find(ids.begin(), ids.end(), id);
    if (it != ids.end()) ids.erase(it);
}

}  // namespace

bool Session::in_use(std::uint16_t packet_id) const noexcept {
    const bool inflight = std::any_of(m_inflight.begin(), m_inflight.end(),
                                      [&](const Inflight& entry) { return entry.packet_id == packet_id; });
    return inflight || std::find(m_reserved.begin(), m_reserved.end(), packet_id) != m_reserved.end();
}

std::uint16_t Session::allocate_packet_id() {
    // At most max_inflight + the pending subscriptions are in use, far fewer than 65535: the
    // loop ends after a few steps.
    do {
        m_last_id = static_cast<std::uint16_t>(m_last_id == 0xFFFF ? 1 : m_last_id + 1);
    } while (in_use(m_last_id));
    return m_last_id;
}

void Session::release(std::uint16_t packet_id) noexcept { erase_value(m_reserved, packet_id); }

const Session::Inflight& Session::add(std::uint16_t packet_id, OutgoingMessage message) {
    const Stage stage = message.qos == QoS::exactly_once ? Stage::awaiting_pubrec : Stage::awaiting_puback;
    m_inflight.push_back(Inflight{packet_id, stage, std::move(message)});
    return m_inflight.back();
}

std::shared_ptr<PublishCompletion> Session::complete(std::uint16_t packet_id, Stage expected) {
    const auto it = std::find_if(m_inflight.begin(), m_inflight.end(), [&](const Inflight& entry) {
        return entry.packet_id == packet_id && entry.stage == expected;
    });
    if (it == m_inflight.end()) return nullptr;
    std::shared_ptr<PublishCompletion> completion = std::move(it->message.completion);
    m_inflight.erase(it);
    return completion;
}

bool Session::received(std::uint16_t packet_id) {
    for (Inflight& entry : m_inflight) {
        if (entry.packet_id == packet_id && entry.stage != Stage::awaiting_puback) {
            entry.stage = Stage::awaiting_pubcomp;
            return true;
        }
    }
    return false;
}

bool Session::begin_incoming(std::uint16_t packet_id) {
    if (std::find(m_incoming.begin(), m_incoming.end(), packet_id) != m_incoming.end()) return false;
    m_incoming.push_back(packet_id);
    return true;
}

void Session::release_incoming(std::uint16_t packet_id) noexcept { erase_value(m_incoming, packet_id); }

void Session::fail_all(const std::exception_ptr& error) {
    for (Inflight& entry : m_inflight) {
        if (auto& completion = entry.message.completion) {
            completion->error = error;
            completion->done.set();
        }
    }
    m_inflight.clear();
    m_incoming.clear();
}

}  // namespace asyncio::mqtt
