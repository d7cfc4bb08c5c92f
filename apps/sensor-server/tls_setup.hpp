#pragma once
// Linux part: the TLS the command line asks for, made before anything starts so that a bad file
// stops the server at once: HTTPS and WSS (--tls-cert, --tls-key) and the connection to mqtts://
// brokers (--mqtt-cafile). Built with asyncio::tls when mbedTLS was found; a sensor-server built
// without it refuses these flags with a message that says so.

#include "options.hpp"

#include <asyncio/http/server.hpp>
#include <asyncio/mqtt/options.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sensor_server {

/// A counter TLS adds to /metrics (App::add_counter: summed over every loop's server).
struct WebTlsCounter {
    std::string name;
    std::string help;
    std::function<double()> value;  ///< read on the loop's thread whose WebTls it is
};

/// What the other loops of --workers take from loop 0's TLS (tls_setup.cpp): its session tickets.
struct TlsShare;

/// How the web server listens, and what TLS adds to /metrics.
struct WebTls {
    /// For HttpServer::start(): TLS on every connection; empty for plain HTTP.
    asyncio::http::HttpServer::Listen listen;
    /// The handshake counters; none for plain HTTP.
    std::vector<WebTlsCounter> counters;
    /// For the other loops' make_web_tls(); null for plain HTTP.
    std::shared_ptr<const TlsShare> share;
};

/// From --tls-cert and --tls-key (empty WebTls without them); a WebTls is used on one loop's
/// thread only (each loop of --workers makes its own). Reads and checks both files now:
/// std::runtime_error naming the flag and the file that cannot be read or does not parse, or a
/// key that does not belong to the certificate.
/// With `first_loop` (loop 0's WebTls, which must outlive this call), this loop hands out and
/// takes back loop 0's session tickets, so that a returning client resumes on whichever loop the
/// kernel gives it; where mbedTLS cannot share them (asyncio::ServerTls::
/// can_share_session_tickets()), each loop keeps its own, and a client that lands on another
/// loop than before makes a full handshake.
[[nodiscard]] WebTls make_web_tls(const Options& options, const WebTls* first_loop = nullptr);

/// The mqtt::Options::open_stream for the mqtts:// brokers of --mqtt and --fleet: TLS with
/// --mqtt-cafile's CAs, the broker's name verified. Empty without --mqtt-cafile. Reads and checks
/// the file now: std::runtime_error naming it.
[[nodiscard]] asyncio::mqtt::OpenStream make_broker_tls(const Options& options);

}  // namespace sensor_server
