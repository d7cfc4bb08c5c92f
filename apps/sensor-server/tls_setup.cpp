#include "tls_setup.hpp"

#include <fstream>
#include <stdexcept>
#include <string>

#if SENSOR_SERVER_HAS_TLS
#include <asyncio/io/tls.hpp>
#include <asyncio/mqtt/tls.hpp>
#endif

namespace sensor_server {

#if SENSOR_SERVER_HAS_TLS
namespace {

/// `path`'s text (the library's read_pem_file); std::runtime_error naming `flag` and the file if
/// it cannot be read.
std::string read_file(const char* flag, const std::string& path) {
    try {
        return asyncio::read_pem_file(path);
    } catch (const asyncio::TlsError&) {
        throw std::runtime_error(std::string(flag) + " " + path + ": cannot be read");
    }
}

/// The first line of --tls-key-password-file (without its line break); empty without the flag.
std::string read_key_password(const Options& options) {
    if (options.tls_key_password_file.empty()) return {};
    std::ifstream file(options.tls_key_password_file);
    if (!file) throw std::runtime_error("--tls-key-password-file " + options.tls_key_password_file + ": cannot be read");
    std::string password;
    std::getline(file, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) {
        throw std::runtime_error("--tls-key-password-file " + options.tls_key_password_file + ": its first line is empty");
    }
    return password;
}

/// An encrypted PEM key: PKCS#8 ("ENCRYPTED PRIVATE KEY") or OpenSSL's legacy
/// "Proc-Type: 4,ENCRYPTED" header.
bool is_encrypted(const std::string& key_pem) { return key_pem.find("ENCRYPTED") != std::string::npos; }

asyncio::ServerTls load_server_tls(const Options& options) {
    const std::string certificate = read_file("--tls-cert", options.tls_cert);
    const std::string key = read_file("--tls-key", options.tls_key);
    const std::string password = read_key_password(options);
    if (is_encrypted(key) && password.empty()) {
        throw std::runtime_error("--tls-key " + options.tls_key +
                                 " is encrypted: give its password with --tls-key-password-file FILE");
    }
    asyncio::ServerTls tls = [&] {
        try {
            return asyncio::ServerTls::from_pem(certificate, key, password);
        } catch (const asyncio::TlsError& error) {
            // mbedTLS's message says which part failed ("the server certificate: ...", "the private
            // key: ..."); the user needs to know which files that was.
            throw std::runtime_error("--tls-cert " + options.tls_cert + " / --tls-key " + options.tls_key + ": " +
                                     error.what());
        }
    }();
    if (options.tls_ticket_lifetime_s) {
        try {
            tls.set_session_ticket_lifetime(std::chrono::seconds(*options.tls_ticket_lifetime_s));
        } catch (const asyncio::TlsError& error) {
            throw std::runtime_error(std::string("--tls-ticket-lifetime: ") + error.what());
        }
    }
    return tls;
}

}  // namespace

struct TlsShare {
    asyncio::ServerTls tls;
};

WebTls make_web_tls(const Options& options, const WebTls* first_loop) {
    if (options.tls_cert.empty()) return {};
    asyncio::ServerTls tls = load_server_tls(options);
    if (first_loop && first_loop->share && asyncio::ServerTls::can_share_session_tickets()) {
        tls.share_session_tickets_with(first_loop->share->tls);
    }
    WebTls web;
    web.share = std::make_shared<const TlsShare>(TlsShare{tls});
    // Not coroutines: each call returns start_server()'s Task, which holds its own copies.
    web.listen = [tls](asyncio::Server::Callback handler, std::string host, std::uint16_t port,
                       asyncio::ListenOptions listen) {
        return asyncio::start_server(std::move(handler), std::move(host), port, tls, listen);
    };
    web.counters.push_back(WebTlsCounter{"tls_handshakes_total", "TLS handshakes completed (HTTPS and WSS clients).",
                                         [tls] { return static_cast<double>(tls.stats().handshakes); }});
    web.counters.push_back(WebTlsCounter{"tls_failed_handshakes_total",
                                         "Connections closed because their TLS handshake failed (plain HTTP, bad clients).",
                                         [tls] { return static_cast<double>(tls.stats().failed_handshakes); }});
    web.counters.push_back(WebTlsCounter{"tls_timed_out_handshakes_total",
                                         "Connections closed because their TLS handshake took too long.",
                                         [tls] { return static_cast<double>(tls.stats().timed_out_handshakes); }});
    return web;
}

asyncio::mqtt::OpenStream make_broker_tls(const Options& options) {
    if (options.mqtt_cafile.empty()) return {};
    const std::string authorities = read_file("--mqtt-cafile", options.mqtt_cafile);
    try {
        return asyncio::mqtt::over_tls(asyncio::ClientTls::from_pem(authorities));
    } catch (const asyncio::TlsError& error) {
        throw std::runtime_error("--mqtt-cafile " + options.mqtt_cafile + ": " + error.what());
    }
}

#else  // built without mbedTLS: asking for TLS is an error, never ignored

namespace {

[[noreturn]] void refuse(const char* flag) {
    throw std::invalid_argument(std::string(flag) +
                                ": this sensor-server was built without TLS (mbedTLS was not found; "
                                "install libmbedtls-dev and build again)");
}

}  // namespace

WebTls make_web_tls(const Options& options, const WebTls* /*first_loop*/) {
    if (!options.tls_cert.empty()) refuse("--tls-cert");
    return {};
}

asyncio::mqtt::OpenStream make_broker_tls(const Options& options) {
    if (!options.mqtt_cafile.empty()) refuse("mqtts://");
    return {};
}

#endif

}  // namespace sensor_server
