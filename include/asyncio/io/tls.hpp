#pragma once

#include <asyncio/core/task.hpp>
#include <asyncio/io/server.hpp>
#include <asyncio/io/stream.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace asyncio {

/// A TLS failure: a certificate or key that does not parse, a handshake that fails (an untrusted
/// or expired certificate, a name mismatch, a peer that speaks no TLS), a record that does not
/// decrypt. what() carries mbedTLS's own message; code() its error code (negative), 0 if none.
class TlsError : public std::runtime_error {
public:
    /// `message` becomes what(); `code`: mbedTLS's error code, 0 if there is none.
    explicit TlsError(const std::string& message, int code = 0) : std::runtime_error(message), m_code(code) {}
    /// mbedTLS's error code (negative, as MBEDTLS_ERR_X509_CERT_VERIFY_FAILED), or 0.
    [[nodiscard]] int code() const noexcept { return m_code; }

private:
    int m_code;
};

/// The whole content of a file (a PEM certificate or key); TlsError naming the file if it cannot
/// be read.
[[nodiscard]] std::string read_pem_file(const std::string& path);

/// The default limit for a handshake, server or client side.
inline constexpr std::chrono::milliseconds kDefaultHandshakeTimeout{10'000};

namespace detail {
class TlsConfig;
}

/// What the server side of TLS did, for metrics. Every counter only grows.
struct TlsServerStats {
    std::uint64_t handshakes = 0;          ///< completed: the handler was called
    std::uint64_t failed_handshakes = 0;   ///< the client spoke no TLS, or an alert, or reset
    std::uint64_t timed_out_handshakes = 0;  ///< not completed within handshake_timeout
};

/// A server's certificate and key: start_server()'s `ssl=` (Python's). TLS for streams is done
/// with mbedTLS (the TLS library ESP-IDF ships): the handler gets the same Stream as over plain
/// TCP, and read, readline, readexactly, readuntil, write, drain, close and wait_closed work
/// unchanged. Link asyncio::tls (library asyncio_tls; built when mbedTLS is found).
///
///     auto tls = asyncio::ServerTls::from_files("cert.pem", "key.pem");
///     auto server = co_await asyncio::start_server(handle, "0.0.0.0", 443, tls);
///
/// A ServerTls or ClientTls is made once (certificates and keys are parsed then, and a bad one
/// throws TlsError at once) and shared by every connection made with it: a connection adds only
/// its own session (docs/TLS.md has the figures). Copies share the same context (and stats()).
/// Use it on the loop's thread only.
///
/// Defaults: TLS 1.2 and newer (1.3 where mbedTLS 3.x has it), renegotiation off, a handshake
/// limited to 10 s (handshake_timeout), run in the connection's own task, so a stalled or garbage
/// handshake never holds the loop or other clients. close() sends close_notify. Over TLS,
/// Stream::get_extra_info("tls_version") gives the negotiated protocol ("TLSv1.2") and
/// get_extra_info("cipher") the cipher suite.
class ServerTls {
public:
    /// From PEM text: the server's certificate, optionally followed by its intermediate CAs, and
    /// its private key (`key_password` if the key is encrypted). TlsError if either is invalid
    /// or they do not belong together.
    [[nodiscard]] static ServerTls from_pem(std::string_view certificate_chain_pem, std::string_view private_key_pem,
                                            std::string_view key_password = {});
    /// The same, read from files.
    [[nodiscard]] static ServerTls from_files(const std::string& certificate_chain_path,
                                              const std::string& private_key_path,
                                              std::string_view key_password = {});

    /// A client that has not finished its handshake by then is disconnected.
    std::chrono::milliseconds handshake_timeout = kDefaultHandshakeTimeout;

    /// Session tickets (RFC 5077, and TLS 1.3's resumption): on by default where the mbedTLS
    /// build has them (has_session_tickets()), with keys that change every hour. A client that
    /// kept its ticket resumes its session on its next connection without the key exchange and
    /// signature of a full handshake, as browsers do. 0 turns them off (every connection a full
    /// handshake); a new lifetime makes new keys, so earlier tickets no longer resume.
    /// std::invalid_argument beyond 7 days (RFC 8446's limit), TlsError for a non-zero lifetime
    /// without ticket support, InvalidStateError on a moved-from object. Call it before serving.
    void set_session_ticket_lifetime(std::chrono::seconds lifetime);
    /// Whether this build's mbedTLS can issue session tickets.
    [[nodiscard]] static bool has_session_tickets() noexcept;
    /// From now on, hands out and takes back the session tickets of `other` (its keys and
    /// lifetime; none if `other` has tickets off), so that a client resumes its session with
    /// either: for the ServerTls of loops on several threads that accept on one port (each loop
    /// needs its own ServerTls). The keys are used under a lock and live as long as either
    /// ServerTls. Call it before serving, while nothing changes `other`'s tickets. TlsError where
    /// can_share_session_tickets() is false, InvalidStateError if either is moved-from.
    void share_session_tickets_with(const ServerTls& other);
    /// Whether share_session_tickets_with() works in this build: mbedTLS with session tickets and
    /// with MBEDTLS_THREADING_C (Debian's has it; scripts/build-mbedtls3.sh turns it on).
    [[nodiscard]] static bool can_share_session_tickets() noexcept;
    /// How often the ticket keys change unless set_session_ticket_lifetime() says otherwise.
    static constexpr std::chrono::seconds kDefaultSessionTicketLifetime{3600};
    /// The longest lifetime set_session_ticket_lifetime() takes: 7 days.
    static constexpr std::chrono::seconds kMostSessionTicketLifetime{7 * 24 * 3600};

    /// The counters of every connection served with this ServerTls or a copy of it, now.
    [[nodiscard]] TlsServerStats stats() const noexcept;
    /// The shared mbedTLS context, for the TLS library's own code; null in a moved-from object.
    [[nodiscard]] const std::shared_ptr<detail::TlsConfig>& config() const noexcept { return m_config; }

private:
    explicit ServerTls(std::shared_ptr<detail::TlsConfig> config) noexcept : m_config(std::move(config)) {}
    std::shared_ptr<detail::TlsConfig> m_config;
};

/// A client's trusted CAs: open_connection()'s `ssl=` (Python's). Made once and shared, with the
/// defaults of ServerTls.
///
///     auto trust = asyncio::ClientTls::from_file("ca.pem");           // verifies by default
///     asyncio::Stream s = co_await asyncio::open_connection("example.org", 443, trust);
///
/// A client verifies the server's certificate chain against its trusted CAs and the server's
/// name. mbedTLS 2.28 matches the name against the certificate's DNS names only: connecting by
/// IP address, set server_hostname to a DNS name the certificate carries.
///
/// A ClientTls (and its copies) keeps its latest session with each server (by name, address and
/// port; at most 8 servers) and offers it on the next connection there: a server that gave a
/// session ticket (or keeps a session cache) then resumes it without the key exchange and the
/// signature of a full handshake, as a browser does; one that does not makes a full handshake.
/// A failed handshake forgets that server's session.
class ClientTls {
public:
    /// Trusts the CA certificates in `ca_pem` (one or more PEM blocks). TlsError if none parses.
    [[nodiscard]] static ClientTls from_pem(std::string_view ca_pem);
    /// The same, read from a file; TlsError naming the file if it cannot be read.
    [[nodiscard]] static ClientTls from_file(const std::string& ca_path);

    /// The name the server's certificate must carry (also sent as SNI). Empty: the host given to
    /// open_connection().
    std::string server_hostname;
    /// A server that has not finished the handshake by then: TimeoutError.
    std::chrono::milliseconds handshake_timeout = kDefaultHandshakeTimeout;

    /// The shared mbedTLS context, for the TLS library's own code; null in a moved-from object.
    [[nodiscard]] const std::shared_ptr<detail::TlsConfig>& config() const noexcept { return m_config; }

private:
    explicit ClientTls(std::shared_ptr<detail::TlsConfig> config) noexcept : m_config(std::move(config)) {}
    std::shared_ptr<detail::TlsConfig> m_config;
};

/// start_server() whose connections speak TLS. The handshake runs in each connection's task
/// before `callback` is called with the (decrypted) Stream; a client whose handshake fails or
/// times out is disconnected without calling `callback` and without an error report (counted in
/// tls.stats()). Otherwise as the plain start_server(); InvalidStateError for a moved-from `tls`.
[[nodiscard]] Task<Server> start_server(Server::Callback callback, std::string host, std::uint16_t port,
                                        ServerTls tls, int backlog = kDefaultBacklog);
/// start_server() over TLS with the listening socket's options (ListenOptions: backlog,
/// reuse_port); otherwise as above. A ServerTls is used on one loop's thread only: with a loop
/// per thread, give each loop its own (ServerTls::from_pem() in each thread), and let them share
/// one loop's session tickets (ServerTls::share_session_tickets_with()).
[[nodiscard]] Task<Server> start_server(Server::Callback callback, std::string host, std::uint16_t port,
                                        ServerTls tls, ListenOptions options);

/// open_connection() over TLS: connects, then shakes hands and verifies the server (its chain
/// against tls's CAs, its name against tls.server_hostname or `host`).
/// Suspends when: resolving a name, connecting and shaking hands (other tasks run). Resumed by:
/// the end of the name lookup (on a worker thread), then the poller.
/// Returns: the Stream, ready for application data.
/// Throws: std::system_error (refused, unreachable, reset), TlsError (verification or handshake
/// failed: what() says why, with mbedTLS's message), TimeoutError (no handshake within
/// tls.handshake_timeout).
/// Cancellation: the connection is closed; CancelledError.
[[nodiscard]] Task<Stream> open_connection(std::string host, std::uint16_t port, ClientTls tls);

/// Upgrades a connected plain Stream to TLS as the client (Python's StreamWriter.start_tls):
/// for protocols that switch after a plaintext greeting (STARTTLS). The server must carry
/// `server_hostname` (tls.server_hostname is not used here).
/// Suspends when: the handshake waits for the socket (other tasks run). Resumed by: the poller.
/// Returns: once the session is ready; the same Stream then speaks TLS.
/// Throws: InvalidStateError if something is buffered unread or unsent, or the stream has no
/// socket or speaks TLS already; otherwise as open_connection() over TLS (TlsError,
/// std::system_error, TimeoutError).
/// Cancellation: CancelledError; the stream is left unusable (close it).
/// Lifetime: `stream` and `tls` must outlive the call.
[[nodiscard]] Task<> start_tls(Stream& stream, const ClientTls& tls, std::string server_hostname);
/// The same as the server side of the handshake (the client's certificate is not asked for).
[[nodiscard]] Task<> start_tls(Stream& stream, const ServerTls& tls);

}  // namespace asyncio
