// TLS streams with mbedTLS: a StreamTransport whose mbedTLS BIO callbacks use the Stream's
// non-blocking socket, a shared configuration per ServerTls/ClientTls, and the handshake as a
// task step of the connection. Compiles against mbedTLS 2.28 (Debian) and 3.x (ESP-IDF 5); the
// differences are behind MBEDTLS_VERSION_NUMBER checks.

#include <asyncio/io/tls.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/io/detail/socket_ops.hpp>
#include <asyncio/io/poller.hpp>

#include <mbedtls/ssl.h>  // first: it pulls in the build configuration of either major version

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>  // MBEDTLS_ERR_NET_*: the BIO callbacks' socket errors
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>  // MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if defined(MBEDTLS_ERROR_C)
#include <mbedtls/error.h>
#endif
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// Session tickets need both the ticket format and the protocol support in the mbedTLS build.
#if defined(MBEDTLS_SSL_TICKET_C) && defined(MBEDTLS_SSL_SESSION_TICKETS) && defined(MBEDTLS_GCM_C)
#include <mbedtls/ssl_ticket.h>
#define ASYNCIO_TLS_HAS_TICKETS 1
#else
#define ASYNCIO_TLS_HAS_TICKETS 0
#endif

namespace asyncio {

namespace {

/// mbedTLS's description of `code`, or the code in hex if the library was built without messages.
std::string mbedtls_message(int code) {
#if defined(MBEDTLS_ERROR_C)
    char text[200];
    mbedtls_strerror(code, text, sizeof text);
    return text;
#else
    // The code in hex, as mbedTLS's documentation lists them (no stream: on a board, iostreams
    // would bring in the whole locale machinery, some 200 KB of flash).
    char digits[16];
    char* end = std::to_chars(digits, digits + sizeof digits, -code, 16).ptr;
    return "mbedTLS error -0x" + std::string(digits, end);
#endif
}

[[noreturn]] void throw_tls(const std::string& what, int code) {
    throw TlsError(what + ": " + mbedtls_message(code), code);
}

/// A certificate's public key (a private field in mbedTLS 3.0 only, public again from 3.1).
mbedtls_pk_context& public_key_of(mbedtls_x509_crt& certificate) {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && MBEDTLS_VERSION_NUMBER < 0x03010000
    return certificate.MBEDTLS_PRIVATE(pk);
#else
    return certificate.pk;
#endif
}

/// PEM text as mbedTLS parses it: with its terminating NUL counted in the length.
int parse_certificates(mbedtls_x509_crt& chain, std::string_view pem) {
    const std::string text(pem);
    return mbedtls_x509_crt_parse(&chain, reinterpret_cast<const unsigned char*>(text.c_str()), text.size() + 1);
}

/// The key exchange groups, fastest first. mbedTLS's default list starts with its largest curve
/// (secp521r1), and a client that offers it (OpenSSL does) then costs a full handshake about 1.7
/// times the CPU of P-256 (bench/tls/run.py: 5,400 against 3,236 µs). The list is static: the
/// configuration keeps a pointer to it.
void prefer_fast_groups(mbedtls_ssl_config& conf) {
#if MBEDTLS_VERSION_NUMBER >= 0x03010000
    static const std::uint16_t kGroups[] = {
#if defined(MBEDTLS_ECP_DP_CURVE25519_ENABLED)
        MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
#endif
        MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
        MBEDTLS_SSL_IANA_TLS_GROUP_SECP521R1, MBEDTLS_SSL_IANA_TLS_GROUP_NONE};
    mbedtls_ssl_conf_groups(&conf, kGroups);
#else
    static const mbedtls_ecp_group_id kCurves[] = {
#if defined(MBEDTLS_ECP_DP_CURVE25519_ENABLED)
        MBEDTLS_ECP_DP_CURVE25519,
#endif
#if defined(MBEDTLS_ECP_DP_SECP256R1_ENABLED)
        MBEDTLS_ECP_DP_SECP256R1,
#endif
#if defined(MBEDTLS_ECP_DP_SECP384R1_ENABLED)
        MBEDTLS_ECP_DP_SECP384R1,
#endif
#if defined(MBEDTLS_ECP_DP_SECP521R1_ENABLED)
        MBEDTLS_ECP_DP_SECP521R1,
#endif
        MBEDTLS_ECP_DP_NONE};
    mbedtls_ssl_conf_curves(&conf, kCurves);
#endif
}

/// mbedTLS's CTR-DRBG random generator over its own entropy source: ready to seed() once made,
/// freed when destroyed. mbedTLS calls take mbedtls_ctr_drbg_random and context().
class RandomGenerator {
public:
    RandomGenerator() noexcept {
        mbedtls_entropy_init(&m_entropy);
        mbedtls_ctr_drbg_init(&m_generator);
    }
    RandomGenerator(const RandomGenerator&) = delete;
    RandomGenerator& operator=(const RandomGenerator&) = delete;
    ~RandomGenerator() {
        mbedtls_ctr_drbg_free(&m_generator);
        mbedtls_entropy_free(&m_entropy);
    }

    /// Seeds it from the entropy source, once, before its first use; TlsError if it cannot.
    void seed(std::string_view personalisation) {
        if (const int ret = mbedtls_ctr_drbg_seed(&m_generator, mbedtls_entropy_func, &m_entropy,
                                                  reinterpret_cast<const unsigned char*>(personalisation.data()),
                                                  personalisation.size());
            ret != 0) {
            throw_tls("seeding the random generator", ret);
        }
    }
    [[nodiscard]] mbedtls_ctr_drbg_context* context() noexcept { return &m_generator; }

private:
    mbedtls_entropy_context m_entropy;
    mbedtls_ctr_drbg_context m_generator;
};

}  // namespace

namespace detail {

#if ASYNCIO_TLS_HAS_TICKETS
/// A server's session-ticket keys, apart from its configuration so that the ServerTls of several
/// loops can share them (ServerTls::share_session_tickets_with): a returning client then resumes
/// on whichever loop accepts it. It has its own random generator, which mbedTLS calls only with
/// the ticket context locked (MBEDTLS_THREADING_C), never the generator a loop's handshakes use.
class TicketKeys {
public:
    /// Keys that change every `lifetime` (> 0). TlsError if they cannot be made.
    explicit TicketKeys(std::chrono::seconds lifetime) {
        mbedtls_ssl_ticket_init(&context);
        try {
            m_random.seed("asyncio-cpp tls tickets");
            if (const int ret = mbedtls_ssl_ticket_setup(&context, mbedtls_ctr_drbg_random, m_random.context(),
                                                         MBEDTLS_CIPHER_AES_256_GCM,
                                                         static_cast<std::uint32_t>(lifetime.count()));
                ret != 0) {
                throw_tls("session tickets", ret);
            }
        } catch (...) {
            mbedtls_ssl_ticket_free(&context);
            throw;
        }
    }
    TicketKeys(const TicketKeys&) = delete;
    TicketKeys& operator=(const TicketKeys&) = delete;
    ~TicketKeys() { mbedtls_ssl_ticket_free(&context); }

    mbedtls_ssl_ticket_context context;

private:
    RandomGenerator m_random;
};
#endif

#if defined(MBEDTLS_SSL_CLI_C)
/// A client's latest session with each server (its name and address), offered again on the next
/// connection there, so that the client resumes it without a full handshake, as browsers and
/// curl do. At most kMostServers servers: the one kept longest ago is forgotten first.
class SessionCache {
public:
    static constexpr std::size_t kMostServers = 8;

    /// Offers the session kept for `server` to `ssl`, whose handshake has not started. mbedTLS
    /// falls back to a full handshake if the server no longer takes it.
    void offer(const std::string& server, mbedtls_ssl_context& ssl) const {
        for (const Entry& entry : m_entries) {
            if (entry.server == server) (void)mbedtls_ssl_set_session(&ssl, entry.session.get());
        }
    }
    /// Keeps `ssl`'s current session (after its handshake, or a TLS 1.3 ticket) for `server`.
    void keep(const std::string& server, const mbedtls_ssl_context& ssl) {
        Session session(new mbedtls_ssl_session);
        mbedtls_ssl_session_init(session.get());
        if (mbedtls_ssl_get_session(&ssl, session.get()) != 0) return;
        forget(server);
        if (m_entries.size() == kMostServers) m_entries.erase(m_entries.begin());
        m_entries.push_back(Entry{server, std::move(session)});
    }
    /// Forgets `server`'s session (a handshake with it failed).
    void forget(const std::string& server) {
        std::erase_if(m_entries, [&server](const Entry& entry) { return entry.server == server; });
    }

private:
    struct SessionFree {
        void operator()(mbedtls_ssl_session* session) const noexcept {
            mbedtls_ssl_session_free(session);
            delete session;
        }
    };
    using Session = std::unique_ptr<mbedtls_ssl_session, SessionFree>;
    struct Entry {
        std::string server;
        Session session;
    };
    std::vector<Entry> m_entries;  ///< the most recently kept last
};
#endif

/// What every connection made with one ServerTls or ClientTls shares: the mbedTLS configuration,
/// the random generator, the certificates and the key. Made once, parsed once.
class TlsConfig {
public:
    explicit TlsConfig(int endpoint) {
        mbedtls_ssl_config_init(&conf);
        mbedtls_x509_crt_init(&certificates);
        mbedtls_pk_init(&key);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
        // mbedTLS 3.x does TLS 1.3 (and more) through PSA, which must be started once.
        if (const psa_status_t status = psa_crypto_init(); status != PSA_SUCCESS) {
            throw TlsError("psa_crypto_init failed", static_cast<int>(status));
        }
#endif
        random.seed("asyncio-cpp tls");
        if (const int ret = mbedtls_ssl_config_defaults(&conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
                                                        MBEDTLS_SSL_PRESET_DEFAULT);
            ret != 0) {
            throw_tls("TLS configuration", ret);
        }
        mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, random.context());
#if MBEDTLS_VERSION_NUMBER < 0x03000000
        // 2.28 still speaks TLS 1.0 and 1.1 if asked; 3.x starts at 1.2.
        mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
#if defined(MBEDTLS_SSL_RENEGOTIATION)
        mbedtls_ssl_conf_renegotiation(&conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
        prefer_fast_groups(conf);
    }
    TlsConfig(const TlsConfig&) = delete;
    TlsConfig& operator=(const TlsConfig&) = delete;
    ~TlsConfig() {
        mbedtls_pk_free(&key);
        mbedtls_x509_crt_free(&certificates);
        mbedtls_ssl_config_free(&conf);
    }

    void use_certificate(std::string_view chain_pem, std::string_view key_pem, std::string_view password) {
        if (const int ret = parse_certificates(certificates, chain_pem); ret != 0) {
            throw_tls("the server certificate", ret);
        }
        const std::string key_text(key_pem);
        const auto* key_bytes = reinterpret_cast<const unsigned char*>(key_text.c_str());
        const auto* password_bytes = reinterpret_cast<const unsigned char*>(password.data());
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
        const int parsed = mbedtls_pk_parse_key(&key, key_bytes, key_text.size() + 1, password_bytes,
                                                password.size(), mbedtls_ctr_drbg_random, random.context());
#else
        const int parsed = mbedtls_pk_parse_key(&key, key_bytes, key_text.size() + 1, password_bytes, password.size());
#endif
        if (parsed == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
            throw TlsError("the private key is encrypted, and no password was given", parsed);
        }
        if (parsed == MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE) {
            // OpenSSL 3 encrypts a PKCS#8 key with AES by default (`openssl pkey -aes256`), which
            // mbedTLS 2.x cannot undo (it knows DES and 3DES there); the traditional format it can.
            throw TlsError("the private key: mbedTLS " MBEDTLS_VERSION_STRING
                           " cannot decrypt this key's encryption; re-encrypt it in OpenSSL's traditional "
                           "format: openssl ec -in KEY -aes256 -out NEW_KEY",
                           parsed);
        }
        // A wrong password decrypts to garbage, which mbedTLS reports as a password mismatch only
        // when the padding happens to be wrong, and otherwise as an ASN.1 error.
        if (parsed != 0 && !password.empty() && key_pem.find("ENCRYPTED") != std::string_view::npos) {
            throw_tls("the private key: wrong password, or a damaged key", parsed);
        }
        if (parsed != 0) throw_tls("the private key", parsed);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
        const int paired =
            mbedtls_pk_check_pair(&public_key_of(certificates), &key, mbedtls_ctr_drbg_random, random.context());
#else
        const int paired = mbedtls_pk_check_pair(&public_key_of(certificates), &key);
#endif
        if (paired != 0) throw_tls("the private key does not belong to the certificate", paired);
        if (const int ret = mbedtls_ssl_conf_own_cert(&conf, &certificates, &key); ret != 0) {
            throw_tls("the certificate and key", ret);
        }
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);  // no client certificates
    }

    /// A server hands out session tickets whose key changes every `lifetime` (0: none), so a
    /// returning client resumes without the key exchange and the signature of a full handshake.
    void use_session_tickets(std::chrono::seconds lifetime) {
#if ASYNCIO_TLS_HAS_TICKETS
        // New keys, and the old ones go: tickets made with them no longer resume.
        use_ticket_keys(lifetime.count() == 0 ? nullptr : std::make_shared<TicketKeys>(lifetime));
#else
        if (lifetime.count() != 0) {
            throw TlsError("session tickets: this mbedTLS build has none (MBEDTLS_SSL_TICKET_C, "
                           "MBEDTLS_SSL_SESSION_TICKETS and MBEDTLS_GCM_C)", 0);
        }
#endif
    }

#if ASYNCIO_TLS_HAS_TICKETS
    /// Hands out and takes back tickets with `keys` (null: none).
    void use_ticket_keys(std::shared_ptr<TicketKeys> keys) {
        if (keys) {
            mbedtls_ssl_conf_session_tickets_cb(&conf, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse, &keys->context);
        } else {
            mbedtls_ssl_conf_session_tickets_cb(&conf, nullptr, nullptr, nullptr);
        }
        tickets = std::move(keys);
    }
#endif

    void trust(std::string_view ca_pem) {
        // A positive result counts the blocks that did not parse; accept the file if one did.
        const int ret = parse_certificates(certificates, ca_pem);
        if (ret < 0) throw_tls("the CA certificates", ret);
        mbedtls_ssl_conf_ca_chain(&conf, &certificates, nullptr);
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
#if defined(MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED)
        // A TLS 1.3 ticket comes after the handshake; mbedTLS 3.6 drops it unless told to say so.
        mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(&conf,
                                                                 MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
    }

    mbedtls_ssl_config conf;
    RandomGenerator random;
    mbedtls_x509_crt certificates;  ///< the server's own chain, or the client's trusted CAs
    mbedtls_pk_context key;
#if ASYNCIO_TLS_HAS_TICKETS
    std::shared_ptr<TicketKeys> tickets;  ///< a server's ticket keys; null without tickets
#endif
#if defined(MBEDTLS_SSL_CLI_C)
    SessionCache sessions;  ///< a client's sessions to resume
#endif
    TlsServerStats stats;
};

namespace {

/// One TLS connection: the mbedTLS session over the Stream's socket. The Stream owns it (its
/// State), so the socket handle it points to lives exactly as long.
class TlsTransport final : public StreamTransport {
public:
    TlsTransport(std::shared_ptr<TlsConfig> config, IoHandle& io) : m_config(std::move(config)), m_io(io) {
        mbedtls_ssl_init(&m_ssl);
        if (const int ret = mbedtls_ssl_setup(&m_ssl, &m_config->conf); ret != 0) {
            mbedtls_ssl_free(&m_ssl);
            throw_tls("TLS session", ret);
        }
        mbedtls_ssl_set_bio(&m_ssl, this, &TlsTransport::bio_send, &TlsTransport::bio_receive, nullptr);
    }
    TlsTransport(const TlsTransport&) = delete;
    TlsTransport& operator=(const TlsTransport&) = delete;
    ~TlsTransport() override { mbedtls_ssl_free(&m_ssl); }

    /// A client's: the name the server must carry, and the server (name and address) whose kept
    /// session to offer, and under which to keep this one.
    void set_server(const std::string& name, std::string server) {
        if (const int ret = mbedtls_ssl_set_hostname(&m_ssl, name.c_str()); ret != 0) throw_tls("server name", ret);
#if defined(MBEDTLS_SSL_CLI_C)
        m_server = std::move(server);
        m_config->sessions.offer(m_server, m_ssl);
#endif
    }

    /// A client's handshake failed: its server's kept session (if it offered one) goes.
    void forget_session() {
#if defined(MBEDTLS_SSL_CLI_C)
        if (!m_server.empty()) m_config->sessions.forget(m_server);
#endif
    }

    /// One handshake step: 0 when done, MBEDTLS_ERR_SSL_WANT_READ/WRITE to wait; throws on failure.
    int handshake_step() {
        const int ret = mbedtls_ssl_handshake(&m_ssl);
        if (ret == 0) {
            m_handshake_done = true;
            if (!is_tls13()) keep_session();  // TLS 1.3: with the ticket, which comes later
            return 0;
        }
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) return ret;
        throw_failure(ret, "TLS handshake");
    }

    IoResult receive(char* buffer, std::size_t size) override {
        if (m_peer_closed) return {};
        std::size_t got = 0;
        int quiet_retries = 0;
        // Read until the buffer is full or the socket says EAGAIN: a record mbedTLS has already
        // taken in (or decrypted) must not wait for the poller, which would not wake anyone.
        while (got < size) {
            const int ret = mbedtls_ssl_read(&m_ssl, reinterpret_cast<unsigned char*>(buffer + got), size - got);
            if (ret > 0) {
                got += static_cast<std::size_t>(ret);
                continue;
            }
            if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF) {
                // close_notify, or a plain FIN (a "ragged" EOF: accepted, as Python does by default)
                m_peer_closed = true;
                break;
            }
            // mbedTLS 3.x also says WANT_READ between the steps of a TLS 1.3 message of its own (a
            // session ticket) without having asked the socket: read on while the socket has not
            // said EAGAIN (which clears readable()), a few times at most.
            if (ret == MBEDTLS_ERR_SSL_WANT_READ && m_io.readable() && quiet_retries < kMostQuietRetries) {
                ++quiet_retries;
                continue;
            }
            if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
                if (got == 0) return {0, EAGAIN};
                break;
            }
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
            // mbedTLS 3.x with TLS 1.3: a session ticket was taken in; no data, read on
            if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
                keep_session();
                continue;
            }
#endif
            if (got > 0) break;  // deliver what came first; the failure repeats at the next read
            if (m_socket_error != 0) return {0, std::exchange(m_socket_error, 0)};
            throw_failure(ret, "TLS read");
        }
        return {static_cast<ssize_t>(got), 0};
    }

    IoResult send(const char* data, std::size_t size) override {
        // After WANT_WRITE mbedTLS holds a record made of the first bytes offered then; the retry
        // must offer exactly as many (it answers with that count once the record is out).
        if (m_pending_write != 0 && unsent_output() == 0) {
            // mbedTLS sent the held record on its own: a TLS 1.3 message it handled since (a
            // session ticket) flushes the output first. Offering the bytes again would send them
            // twice. The record took as many as one record carries.
            const auto most = static_cast<std::size_t>(std::max(mbedtls_ssl_get_max_out_record_payload(&m_ssl), 0));
            return {static_cast<ssize_t>(std::min(std::exchange(m_pending_write, 0), most)), 0};
        }
        const std::size_t offered = m_pending_write != 0 ? m_pending_write : size;
        for (;;) {
            const int ret = mbedtls_ssl_write(&m_ssl, reinterpret_cast<const unsigned char*>(data), offered);
            if (ret >= 0) {
                m_pending_write = 0;
                return {ret, 0};
            }
            if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) {
                // A record not yet on the socket holds the bytes; with none (mbedTLS first had a
                // TLS 1.3 message to read) nothing was taken, and the retry offers them afresh.
                m_pending_write = unsent_output() != 0 ? offered : 0;
                return {0, EAGAIN};
            }
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
            if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {  // taken in before writing
                keep_session();
                continue;
            }
#endif
            if (m_socket_error != 0) return {0, std::exchange(m_socket_error, 0)};
            throw_failure(ret, "TLS write");
        }
    }

    void send_end_of_stream() noexcept override {
        if (!m_handshake_done || m_end_sent) return;
        m_end_sent = true;
        (void)mbedtls_ssl_close_notify(&m_ssl);  // one try: a full socket drops it
    }

    std::string get_extra_info(std::string_view name) const override {
        if (name == "tls_version") return mbedtls_ssl_get_version(&m_ssl);
        if (name == "cipher") return mbedtls_ssl_get_ciphersuite(&m_ssl);
        return {};
    }

private:
    /// How many WANT_READs in a row receive() retries while the socket has not said EAGAIN.
    static constexpr int kMostQuietRetries = 4;

    [[nodiscard]] bool is_tls13() const noexcept {
#if defined(MBEDTLS_SSL_PROTO_TLS1_3) && MBEDTLS_VERSION_NUMBER >= 0x03020000  // the call came in 3.2
        return mbedtls_ssl_get_version_number(&m_ssl) == MBEDTLS_SSL_VERSION_TLS1_3;
#else
        return false;
#endif
    }

    /// Bytes of the last record mbedTLS made that are not on the socket yet.
    [[nodiscard]] std::size_t unsent_output() const noexcept {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
        return m_ssl.MBEDTLS_PRIVATE(out_left);  // no accessor in 3.x's API
#else
        return m_ssl.out_left;
#endif
    }

    /// A client keeps its session for the next connection to the same server.
    void keep_session() {
#if defined(MBEDTLS_SSL_CLI_C)
        if (!m_server.empty()) m_config->sessions.keep(m_server, m_ssl);
#endif
    }

    [[noreturn]] void throw_failure(int ret, const char* what) {
        if (m_socket_error != 0) throw std::system_error(m_socket_error, std::system_category(), what);
        if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
            const std::uint32_t flags = mbedtls_ssl_get_verify_result(&m_ssl);
            char info[512];
            const int length = mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
            std::string reasons = length > 0 ? std::string(info, static_cast<std::size_t>(length)) : "";
            while (!reasons.empty() && reasons.back() == '\n') reasons.pop_back();
            for (char& c : reasons) {
                if (c == '\n') c = ';';
            }
            throw TlsError(std::string(what) + ": certificate verify failed: " + reasons, ret);
        }
        throw_tls(what, ret);
    }

    static int bio_send(void* context, const unsigned char* data, std::size_t size) {
        auto& self = *static_cast<TlsTransport*>(context);
        const IoResult sent = detail::send(self.m_io.fd(), reinterpret_cast<const char*>(data), size);
        if (sent.error == 0) return static_cast<int>(sent.value);
        if (sent.would_block()) {
            self.m_io.not_writable();
            return MBEDTLS_ERR_SSL_WANT_WRITE;
        }
        self.m_socket_error = sent.error;
        return MBEDTLS_ERR_NET_SEND_FAILED;
    }

    static int bio_receive(void* context, unsigned char* buffer, std::size_t size) {
        auto& self = *static_cast<TlsTransport*>(context);
        const IoResult got = self.m_io.receive(reinterpret_cast<char*>(buffer), size);
        if (got.error == 0) return static_cast<int>(got.value);  // 0: EOF
        if (got.would_block()) {
            self.m_io.not_readable();
            return MBEDTLS_ERR_SSL_WANT_READ;
        }
        self.m_socket_error = got.error;
        return MBEDTLS_ERR_NET_RECV_FAILED;
    }

    std::shared_ptr<TlsConfig> m_config;  ///< outlives the session that points into it
    IoHandle& m_io;
    mbedtls_ssl_context m_ssl;
    std::size_t m_pending_write = 0;  ///< bytes of a record mbedTLS could not send yet
    int m_socket_error = 0;           ///< errno of the BIO call that failed
    bool m_handshake_done = false;
    bool m_end_sent = false;
    bool m_peer_closed = false;
#if defined(MBEDTLS_SSL_CLI_C)
    std::string m_server;  ///< a client's server, "name@address:port"; empty on a server
#endif
};

/// Runs the handshake to its end. Suspends while the socket cannot be read or written (other
/// tasks run); resumed by the poller. Returns when the session is ready; throws TlsError or
/// std::system_error. Cancellation: CancelledError from the wait, the session stays unusable.
/// Lifetime: `stream` (which owns `tls`) must outlive the task.
Task<> handshake_steps(Stream& stream, TlsTransport& tls) {
    IoHandle& io = stream.io_handle();
    for (;;) {
        const int step = tls.handshake_step();
        if (step == 0) co_return;
        const bool want_read = step == MBEDTLS_ERR_SSL_WANT_READ;
        if (want_read ? io.readable() : io.writable()) {
            co_await sleep(0);  // mbedTLS waits without the socket having said EAGAIN: let others run
        } else if (want_read) {
            co_await io.wait_readable();
        } else {
            co_await io.wait_writable();
        }
    }
}

/// Installs a TLS session on `stream` and runs its handshake within `limit`.
Task<> handshake(Stream& stream, const std::shared_ptr<TlsConfig>& config, const std::string* hostname,
                 std::chrono::milliseconds limit) {
    if (!stream) throw InvalidStateError("start_tls() on an empty Stream");
    if (stream.transport() != nullptr) throw InvalidStateError("start_tls(): the stream speaks TLS already");
    if (!stream.buffered().empty() || stream.write_buffer_size() != 0) {
        throw InvalidStateError("start_tls(): the stream has buffered data");
    }
    auto session = std::make_unique<TlsTransport>(config, stream.io_handle());
    if (hostname != nullptr) session->set_server(*hostname, *hostname + "@" + stream.get_extra_info("peername"));
    TlsTransport& tls = *session;
    stream.set_transport(std::move(session));
    try {
        co_await wait_for(handshake_steps(stream, tls), limit);
    } catch (const CancelledError&) {
        throw;  // not the server's doing: its session may still resume
    } catch (...) {
        tls.forget_session();
        throw;
    }
}

/// How long, and how many bytes, a server keeps reading from a client whose handshake failed.
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerBytes = 16 * 1024;

/// Reads and drops what the peer sends until it closes (or kLingerBytes went by).
/// Suspends while nothing has arrived; resumed by the poller. Lifetime: `io` (the Stream's) must
/// outlive the task.
Task<> drop_input(IoHandle& io) {
    char sink[1024];
    for (std::size_t dropped = 0; dropped < kLingerBytes;) {
        const IoResult got = io.receive(sink, sizeof sink);
        if (got.error == 0) {
            if (got.value == 0) co_return;  // the peer closed too
            dropped += static_cast<std::size_t>(got.value);
        } else if (got.would_block()) {
            io.not_readable();
            co_await io.wait_readable();
        } else {
            co_return;  // reset: nothing left to be gentle about
        }
    }
}

/// Ends the connection of a client whose handshake failed with a FIN rather than a reset. Such a
/// client (plain HTTP, say) has usually sent more than mbedTLS read, and closing a socket with
/// unread input makes the kernel answer with a reset, which the client reports as an error
/// instead of a closed connection. So: shut down our side, drop what the client still sends
/// until it closes, at most kLingerTime; then the Stream closes the socket.
/// Suspends: up to kLingerTime, while the client neither sends nor closes.
Task<> close_after_failed_handshake(Stream& stream) {
    IoHandle& io = stream.io_handle();
    (void)detail::shutdown_write(io.fd());
    try {
        co_await wait_for(drop_input(io), kLingerTime);
    } catch (const TimeoutError&) {
        // A client that neither sends nor closes: closed now, whatever the kernel then sends.
    }
}

/// One TLS connection of a server: handshake, then the application's callback.
Task<> serve_tls(std::shared_ptr<const Server::Callback> callback, ServerTls tls, Stream stream) {
    TlsServerStats& stats = tls.config()->stats;
    bool failed = false;
    try {
        co_await handshake(stream, tls.config(), nullptr, tls.handshake_timeout);
    } catch (const CancelledError&) {
        throw;
    } catch (const TimeoutError&) {
        ++stats.timed_out_handshakes;
        co_return;  // the Stream closes the connection
    } catch (const std::exception&) {
        ++stats.failed_handshakes;  // a client that speaks no TLS, or rejected us: not our failure
        failed = true;
    }
    if (failed) {
        co_await close_after_failed_handshake(stream);
        co_return;
    }
    ++stats.handshakes;
    co_await (*callback)(std::move(stream));
}

}  // namespace
}  // namespace detail

std::string read_pem_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw TlsError("cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

ServerTls ServerTls::from_pem(std::string_view certificate_chain_pem, std::string_view private_key_pem,
                              std::string_view key_password) {
    auto config = std::make_shared<detail::TlsConfig>(MBEDTLS_SSL_IS_SERVER);
    config->use_certificate(certificate_chain_pem, private_key_pem, key_password);
    if (ASYNCIO_TLS_HAS_TICKETS) config->use_session_tickets(kDefaultSessionTicketLifetime);
    return ServerTls(std::move(config));
}

void ServerTls::set_session_ticket_lifetime(std::chrono::seconds lifetime) {
    if (!m_config) throw InvalidStateError("set_session_ticket_lifetime() on a moved-from ServerTls");
    if (lifetime.count() < 0 || lifetime > kMostSessionTicketLifetime) {
        throw std::invalid_argument("a session ticket lifetime is from 0 (no tickets) to " +
                                    std::to_string(kMostSessionTicketLifetime.count()) + " s (7 days), got " +
                                    std::to_string(lifetime.count()) + " s");
    }
    m_config->use_session_tickets(lifetime);
}

bool ServerTls::has_session_tickets() noexcept { return ASYNCIO_TLS_HAS_TICKETS != 0; }

// The ticket context locks itself around every use only with MBEDTLS_THREADING_C.
#if ASYNCIO_TLS_HAS_TICKETS && defined(MBEDTLS_THREADING_C)
bool ServerTls::can_share_session_tickets() noexcept { return true; }

void ServerTls::share_session_tickets_with(const ServerTls& other) {
    if (!m_config || !other.m_config) throw InvalidStateError("share_session_tickets_with() with a moved-from ServerTls");
    m_config->use_ticket_keys(other.m_config->tickets);
}
#else
bool ServerTls::can_share_session_tickets() noexcept { return false; }

void ServerTls::share_session_tickets_with(const ServerTls& other) {
    if (!m_config || !other.m_config) throw InvalidStateError("share_session_tickets_with() with a moved-from ServerTls");
    throw TlsError("sharing session tickets: this mbedTLS build has no session tickets or no MBEDTLS_THREADING_C", 0);
}
#endif

ServerTls ServerTls::from_files(const std::string& certificate_chain_path, const std::string& private_key_path,
                                std::string_view key_password) {
    return from_pem(read_pem_file(certificate_chain_path), read_pem_file(private_key_path), key_password);
}

TlsServerStats ServerTls::stats() const noexcept { return m_config ? m_config->stats : TlsServerStats{}; }

ClientTls ClientTls::from_pem(std::string_view ca_pem) {
    auto config = std::make_shared<detail::TlsConfig>(MBEDTLS_SSL_IS_CLIENT);
    config->trust(ca_pem);
    return ClientTls(std::move(config));
}

ClientTls ClientTls::from_file(const std::string& ca_path) { return from_pem(read_pem_file(ca_path)); }

Task<Server> start_server(Server::Callback callback, std::string host, std::uint16_t port, ServerTls tls,
                          int backlog) {
    ListenOptions options;
    options.backlog = backlog;
    return start_server(std::move(callback), std::move(host), port, std::move(tls), options);
}

Task<Server> start_server(Server::Callback callback, std::string host, std::uint16_t port, ServerTls tls,
                          ListenOptions options) {
    if (!tls.config()) throw InvalidStateError("start_server(): an empty ServerTls");
    auto shared_callback = std::make_shared<const Server::Callback>(std::move(callback));
    Server::Callback with_tls = [shared_callback, tls](Stream stream) {
        return detail::serve_tls(shared_callback, tls, std::move(stream));
    };
    co_return co_await start_server(std::move(with_tls), std::move(host), port, options);
}

Task<> start_tls(Stream& stream, const ClientTls& tls, std::string server_hostname) {
    if (!tls.config()) throw InvalidStateError("start_tls(): an empty ClientTls");
    co_await detail::handshake(stream, tls.config(), &server_hostname, tls.handshake_timeout);
}

Task<> start_tls(Stream& stream, const ServerTls& tls) {
    if (!tls.config()) throw InvalidStateError("start_tls(): an empty ServerTls");
    co_await detail::handshake(stream, tls.config(), nullptr, tls.handshake_timeout);
}

Task<Stream> open_connection(std::string host, std::uint16_t port, ClientTls tls) {
    std::string name = tls.server_hostname.empty() ? host : tls.server_hostname;
    Stream stream = co_await open_connection(std::move(host), port);
    co_await start_tls(stream, tls, std::move(name));
    co_return stream;
}

}  // namespace asyncio
