#pragma once

#include <asyncio/io/tls.hpp>
#include <asyncio/mqtt/options.hpp>

#include <cstdint>
#include <string>
#include <utility>

namespace asyncio::mqtt {

/// MQTT over TLS (mqtts://, port 8883 by convention): the client's connection opened by
/// asyncio::tls. Link asyncio::tls as well as asyncio::asyncio; the mqtt layer itself does not
/// depend on it (Options::open_stream is the seam), so it builds where mbedTLS is missing.
///
///     asyncio::mqtt::Options options;
///     options.host = "broker.example";
///     options.port = 8883;
///     options.open_stream = asyncio::mqtt::over_tls(asyncio::ClientTls::from_file("ca.pem"));
///     asyncio::mqtt::Client client = co_await asyncio::mqtt::connect(options);
///
/// The broker's certificate chain is verified against the CAs of `tls`, and its name against
/// tls.server_hostname, else Options::host (mbedTLS 2.28 matches DNS names only: for a broker
/// given by address, set server_hostname to a name its certificate carries). A broker that fails
/// verification makes connect() throw asyncio::TlsError saying why; reconnections verify again.
/// The TLS handshake counts within Options::connect_timeout.
///
/// An Options::open_stream that connects over TLS with `tls` (copied: its certificates are
/// shared, not parsed again). Each call returns open_connection(host, port, tls), which suspends
/// while connecting and shaking hands and returns the Stream ready for MQTT; it throws what that
/// open_connection() throws (TlsError, TimeoutError, std::system_error).
[[nodiscard]] inline OpenStream over_tls(ClientTls tls) {
    // Not a coroutine: the Task returned holds its own copies of the arguments, so it does not
    // depend on this function object staying alive.
    return [tls = std::move(tls)](std::string host, std::uint16_t port) {
        return open_connection(std::move(host), port, tls);
    };
}

}  // namespace asyncio::mqtt
