#include "fleet_state.hpp"
#include "json_text.hpp"
#include "number_text.hpp"

#include <cctype>
#include <cstdio>

namespace sensor_server {

namespace {

/// A strict JSON reader that only checks: recursive descent with a depth limit.
class JsonChecker {
public:
    explicit JsonChecker(std::string_view text) noexcept : m_text(text) {}

    bool object_only() noexcept {
        skip_space();
        if (peek() != '{' || !value(0)) return false;
        skip_space();
        return m_at == m_text.size();
    }

private:
    static constexpr int kMaxDepth = 32;

    [[nodiscard]] char peek() const noexcept { return m_at < m_text.size() ? m_text[m_at] : '\0'; }
    void skip_space() noexcept {
        while (m_at < m_text.size() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++m_at;
    }
    bool literal(std::string_view word) noexcept {
        if (m_text.substr(m_at, word.size()) != word) return false;
        m_at += word.size();
        return true;
    }
    bool digits() noexcept {
        const std::size_t start = m_at;
        while (peek() >= '0' && peek() <= '9') ++m_at;
        return m_at > start;
    }
    bool number() noexcept {
        if (peek() == '-') ++m_at;
        if (peek() == '0') {
            ++m_at;
        } else if (!digits()) {
            return false;
        }
        if (peek() == '.') {
            ++m_at;
            if (!digits()) return false;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++m_at;
            if (peek() == '+' || peek() == '-') ++m_at;
            if (!digits()) return false;
        }
        return true;
    }
    bool string() noexcept {
        ++m_at;  // the opening quote
        while (m_at < m_text.size()) {
            const char c = m_text[m_at++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c == '\\') {
                const char escaped = peek();
                ++m_at;
                if (escaped == 'u') {
                    for (int i = 0; i < 4; ++i, ++m_at) {
                        if (!std::isxdigit(static_cast<unsigned char>(peek()))) return false;
                    }
                } else if (std::string_view("\"\\/bfnrt").find(escaped) == std::string_view::npos || escaped == '\0') {
                    return false;
                }
            }
        }
        return false;
    }
    template <class Element>
    bool sequence(char close, Element element) noexcept {
        ++m_at;  // the opening bracket
        skip_space();
        if (peek() == close) {
            ++m_at;
            return true;
        }
        for (;;) {
            if (!element()) return false;
            skip_space();
            if (peek() == close) {
                ++m_at;
                return true;
            }
            if (peek() != ',') return false;
            ++m_at;
            skip_space();
        }
    }
    bool value(int depth) noexcept {
        skip_space();
        switch (peek()) {
            case '{':
                if (depth >= kMaxDepth) return false;
                return sequence('}', [&] {
                    if (peek() != '"' || !string()) return false;
                    skip_space();
                    if (peek() != ':') return false;
                    ++m_at;
                    return value(depth + 1);
                });
            case '[':
                if (depth >= kMaxDepth) return false;
                return sequence(']', [&] { return value(depth + 1); });
            case '"': return string();
            case 't': return literal("true");
            case 'f': return literal("false");
            case 'n': return literal("null");
            default: return number();
        }
    }

    std::string_view m_text;
    std::size_t m_at = 0;
};

}  // namespace

bool is_json_object(std::string_view text) noexcept { return JsonChecker(text).object_only(); }

FleetDevice* FleetState::device(std::string_view prefix) {
    if (const auto found = m_devices.find(prefix); found != m_devices.end()) return &found->second;
    if (m_devices.size() >= kMaxDevices) return nullptr;
    return &m_devices.emplace(std::string(prefix), FleetDevice{}).first->second;
}

bool FleetState::apply(std::string_view topic, std::string_view payload, std::int64_t now_ms) {
    const std::size_t slash = topic.rfind('/');
    const std::string_view kind = slash == std::string_view::npos ? std::string_view() : topic.substr(slash + 1);
    const bool is_reading = kind == "reading";
    const bool valid = is_reading ? payload.size() <= kMaxReadingBytes && is_json_object(payload)
                                  : kind == "status" && (payload == "online" || payload == "offline");
    FleetDevice* target = valid ? device(topic.substr(0, slash)) : nullptr;
    if (target == nullptr) {
        ++m_ignored;
        return false;
    }
    (is_reading ? target->reading : target->status).assign(payload);
    target->last_seen_ms = now_ms;
    target->version = ++m_version;
    return true;
}

void FleetState::append_device_json(std::string& out, std::string_view prefix, const FleetDevice& device) {
    out.append("{\"device\":");
    append_json_string(out, prefix);
    out.push_back(',');
    append_device_fields(out, device);
    out.push_back('}');
}

void FleetState::append_json(std::string& out) const {
    out.push_back('{');
    bool first = true;
    for (const auto& [prefix, device] : m_devices) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, prefix);
        out.append(":{");
        append_device_fields(out, device);
        out.push_back('}');
    }
    out.push_back('}');
}

void FleetState::append_device_fields(std::string& out, const FleetDevice& device) {
    out.append("\"status\":\"").append(device.status).append("\",\"reading\":");
    out.append(device.reading.empty() ? std::string_view("null") : std::string_view(device.reading));
    out.append(",\"last_seen_ms\":");
    if (device.last_seen_ms) {
        append_number(out, *device.last_seen_ms);
    } else {
        out.append("null");
    }
}

}  // namespace sensor_server
