#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace asyncio::mqtt {

/// The base of the errors the mqtt layer throws, so one catch handles them all; std::system_error
/// (from the io layer), TlsError and asyncio's TimeoutError/CancelledError pass through unchanged.
/// Thrown as itself by connect() when the broker closed the connection before CONNACK, and by
/// publish() when a 5.0 broker refused the message (reason code >= 0x80).
class MqttError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The broker sent bytes that are not a valid MQTT packet (or a packet a client must not
/// receive): the connection is closed. The message says which rule was broken.
class ProtocolError : public MqttError {
public:
    using MqttError::MqttError;
};

/// The broker answered CONNECT with a non-zero return code (3.1.1 section 3.2.2.3) or a reason
/// code >= 0x80 (5.0 section 3.2.2.2).
class ConnectionRefused : public MqttError {
public:
    /// `code`: the CONNACK's return or reason code; `what`: the message, naming it.
    ConnectionRefused(std::uint8_t code, const std::string& what) : MqttError(what), m_code(code) {}
    /// 3.1.1: 1 (protocol version) to 5 (not authorized); 5.0: a reason code >= 0x80.
    [[nodiscard]] std::uint8_t code() const noexcept { return m_code; }

private:
    std::uint8_t m_code;
};

/// The connection is gone and the client will not reconnect (disconnect() was called, reconnect
/// is off, or the client is being destroyed): what was waiting for it fails with this.
class ConnectionLost : public MqttError {
public:
    using MqttError::MqttError;
};

/// A named limit (Limits in options.hpp) was exceeded by the caller: topic too long, packet
/// larger than max_packet_size; or a field longer than the protocol can encode (a CONNECT
/// string over 65535 bytes). Nothing was sent.
class LimitExceeded : public MqttError {
public:
    using MqttError::MqttError;
};

/// The broker refused a subscription (SUBACK return code 0x80, or a 5.0 reason code >= 0x80).
class SubscribeRefused : public MqttError {
public:
    /// `code`: the SUBACK's return code; `what`: the message, naming the filter.
    SubscribeRefused(std::uint8_t code, const std::string& what) : MqttError(what), m_code(code) {}
    /// 0x80 (3.1.1 "failure"), or a 5.0 reason code >= 0x80.
    [[nodiscard]] std::uint8_t code() const noexcept { return m_code; }

private:
    std::uint8_t m_code;
};

}  // namespace asyncio::mqtt
