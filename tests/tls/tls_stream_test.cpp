// TLS between the library's own client and server: the Stream API unchanged over TLS, the
// client's verification (CA, expiry, name), time-outs, STARTTLS, bad certificate files.

#include "tls/tls_test_support.hpp"

#include <asyncio/core/errors.hpp>
#include <asyncio/core/gather.hpp>
#include <asyncio/core/timeout.hpp>

#include <string>

namespace {

using namespace std::chrono_literals;
using tls_test::Certificates;

class TlsStream : public io_test::IoTest {
protected:
    void SetUp() override {
        TLS_TEST_NEEDS_CERTIFICATES();
        IoTest::SetUp();
    }
};

/// The message of the TlsError that opening a connection with `client` to a server presenting
/// `certificate` throws ("" if none).
std::string refusal(const std::string& certificate, asyncio::ClientTls client) {
    return io_test::run([](std::string certificate, asyncio::ClientTls client) -> asyncio::Task<std::string> {
        auto server = co_await asyncio::start_server(tls_test::echo_lines, "127.0.0.1", 0,
                                                     Certificates::get().server(certificate));
        std::string message;
        try {
            asyncio::Stream stream = co_await asyncio::open_connection("127.0.0.1", server.port(), client);
        } catch (const asyncio::TlsError& error) {
            message = error.what();
            EXPECT_LT(error.code(), 0);
        }
        server.close();
        co_await server.wait_closed();
        co_return message;
    }(certificate, std::move(client)));
}

TEST_F(TlsStream, EchoWithEveryReadOperation) {
    io_test::run([]() -> asyncio::Task<> {
        auto server = co_await asyncio::start_server(tls_test::echo_lines, "127.0.0.1", 0, Certificates::get().server());
        asyncio::Stream s = co_await asyncio::open_connection("127.0.0.1", server.port(), Certificates::get().client());
        EXPECT_EQ(co_await io_test::ask(s, "hello\n"), "hello\n");
        s.write("abc;def\nxyz\n");
        co_await s.drain();
        EXPECT_EQ(co_await s.readuntil(";"), "abc;");
        EXPECT_EQ(co_await s.readexactly(4), "def\n");
        EXPECT_EQ(co_await s.read(100), "xyz\n");
        EXPECT_EQ(s.get_extra_info("tls_version").rfind("TLSv1.", 0), 0u) << s.get_extra_info("tls_version");
        EXPECT_FALSE(s.get_extra_info("cipher").empty());
        EXPECT_FALSE(s.get_extra_info("peername").empty());
        co_await s.write_eof();
        EXPECT_EQ(co_await s.read(), "");
        s.close();
        co_await s.wait_closed();
        server.close();
        co_await server.wait_closed();
    }());
}

TEST_F(TlsStream, FourMebibytesBothWaysAtOnce) {
    io_test::run([]() -> asyncio::Task<> {
        auto server = co_await asyncio::start_server(
            [](asyncio::Stream s) -> asyncio::Task<> {
                for (;;) {  // echo in chunks, whatever their size
                    std::string chunk = co_await s.read(100'000);
                    if (chunk.empty()) break;
                    s.write(std::move(chunk));
                    co_await s.drain();
                }
                s.close();
            },
            "127.0.0.1", 0, Certificates::get().server());
        asyncio::Stream s = co_await asyncio::open_connection("127.0.0.1", server.port(), Certificates::get().client());
        std::string sent;
        for (std::size_t i = 0; sent.size() < 4 * 1024 * 1024; ++i) sent += std::to_string(i * 7919) + ",";
        auto writer = [](asyncio::Stream& stream, const std::string& data) -> asyncio::Task<> {
            for (std::size_t at = 0; at < data.size(); at += 50'000) {  // several writes, uneven records
                stream.write(std::string_view(data).substr(at, 50'000));
                co_await stream.drain();
            }
            co_await stream.write_eof();
        };
        auto reader = [](asyncio::Stream& stream) -> asyncio::Task<std::string> { co_return co_await stream.read(); };
        auto [nothing, received] = co_await asyncio::gather(writer(s, sent), reader(s));
        (void)nothing;
        EXPECT_EQ(received.size(), sent.size());
        EXPECT_TRUE(received == sent);
        s.close();
        co_await s.wait_closed();
        server.close();
        co_await server.wait_closed();
    }());
}

TEST_F(TlsStream, ClientRefusesAnUnknownCa) {
    const std::string message = refusal("server", Certificates::get().client("other_ca"));
    EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
    EXPECT_NE(message.find("not correctly signed by the trusted CA"), std::string::npos) << message;
}

TEST_F(TlsStream, ClientRefusesAnExpiredCertificate) {
    const std::string message = refusal("expired", Certificates::get().client());
    EXPECT_NE(message.find("expired"), std::string::npos) << message;
}

TEST_F(TlsStream, ClientRefusesAnotherName) {
    const std::string message = refusal("other_name", Certificates::get().client());
    EXPECT_NE(message.find("CN"), std::string::npos) << message;
    const std::string mismatch = refusal("server", Certificates::get().client("ca", "wrong.example"));
    EXPECT_NE(mismatch.find("CN"), std::string::npos) << mismatch;
}

TEST_F(TlsStream, ClientHandshakeTimesOutOnASilentServer) {
    io_test::RawListener silent;  // accepts (in the kernel) and never answers
    asyncio::ClientTls client = Certificates::get().client();
    client.handshake_timeout = 200ms;
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW(io_test::run(asyncio::open_connection("127.0.0.1", silent.port(), client)), asyncio::TimeoutError);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(TlsStream, ClientRefusesAServerThatSpeaksNoTls) {
    const std::string message = io_test::run([]() -> asyncio::Task<std::string> {
        auto server = co_await asyncio::start_server(
            [](asyncio::Stream s) -> asyncio::Task<> {
                s.write("HTTP/1.0 400 Bad Request\r\n\r\nthis is no TLS server\n");
                co_await s.drain();
                s.close();
            },
            "127.0.0.1", 0);
        std::string what;
        try {
            (void)co_await asyncio::open_connection("127.0.0.1", server.port(), Certificates::get().client());
        } catch (const asyncio::TlsError& error) {
            what = error.what();
        }
        server.close();
        co_await server.wait_closed();
        co_return what;
    }());
    EXPECT_NE(message.find("TLS handshake"), std::string::npos) << message;
}

TEST_F(TlsStream, StartTlsAfterAPlaintextGreeting) {
    io_test::run([]() -> asyncio::Task<> {
        auto server = co_await asyncio::start_server(
            [](asyncio::Stream s) -> asyncio::Task<> {
                EXPECT_EQ(co_await s.readline(), "STARTTLS\n");
                s.write("GO\n");
                co_await s.drain();
                co_await asyncio::start_tls(s, Certificates::get().server());
                co_await tls_test::echo_lines(std::move(s));
            },
            "127.0.0.1", 0);
        asyncio::Stream s = co_await asyncio::open_connection("127.0.0.1", server.port());
        EXPECT_EQ(co_await io_test::ask(s, "STARTTLS\n"), "GO\n");
        co_await asyncio::start_tls(s, Certificates::get().client(), "localhost");
        EXPECT_EQ(co_await io_test::ask(s, "secret\n"), "secret\n");
        s.close();
        co_await s.wait_closed();
        server.close();
        co_await server.wait_closed();
    }());
}

TEST_F(TlsStream, BadCertificatesAndKeysThrowAtOnce) {
    const Certificates& certs = Certificates::get();
    EXPECT_THROW((void)asyncio::ServerTls::from_pem("not a certificate", certs.pem("server.key")), asyncio::TlsError);
    EXPECT_THROW((void)asyncio::ServerTls::from_pem(certs.pem("server.pem"), "not a key"), asyncio::TlsError);
    // A key that belongs to another certificate
    EXPECT_THROW((void)asyncio::ServerTls::from_pem(certs.pem("server.pem"), certs.pem("other_name.key")),
                 asyncio::TlsError);
    EXPECT_THROW((void)asyncio::ServerTls::from_files("/nonexistent/cert.pem", "/nonexistent/key.pem"),
                 asyncio::TlsError);
    EXPECT_THROW((void)asyncio::ClientTls::from_pem("no CA here"), asyncio::TlsError);
    try {
        (void)asyncio::ClientTls::from_file("/nonexistent/ca.pem");
        ADD_FAILURE() << "no exception";
    } catch (const asyncio::TlsError& error) {
        EXPECT_NE(std::string(error.what()).find("/nonexistent/ca.pem"), std::string::npos);
    }
}

TEST_F(TlsStream, SessionTicketLifetimeOutsideItsRangeThrowsAndAMovedFromServerTlsRefusesIt) {
    using namespace std::chrono_literals;
    asyncio::ServerTls tls = Certificates::get().server();
    EXPECT_THROW(tls.set_session_ticket_lifetime(-1s), std::invalid_argument);
    EXPECT_THROW(tls.set_session_ticket_lifetime(asyncio::ServerTls::kMostSessionTicketLifetime + 1s),
                 std::invalid_argument);
    EXPECT_NO_THROW(tls.set_session_ticket_lifetime(0s));
    if (asyncio::ServerTls::has_session_tickets()) {
        EXPECT_NO_THROW(tls.set_session_ticket_lifetime(asyncio::ServerTls::kMostSessionTicketLifetime));
    } else {
        EXPECT_THROW(tls.set_session_ticket_lifetime(60s), asyncio::TlsError);
    }
    asyncio::ServerTls taken = std::move(tls);
    EXPECT_THROW(tls.set_session_ticket_lifetime(60s), asyncio::InvalidStateError);  // NOLINT(bugprone-use-after-move)
}

/// The message of the TlsError `make` throws ("" if it throws none).
template <class Make>
std::string tls_error_of(Make make) {
    try {
        (void)make();
    } catch (const asyncio::TlsError& error) {
        return error.what();
    }
    return "";
}

TEST_F(TlsStream, AnEncryptedKeyNeedsItsPassword) {
    const Certificates& certs = Certificates::get();
    const std::string encrypted = certs.path("server-encrypted.key");
    const std::string pkcs8_aes = certs.path("server-pkcs8-aes.key");
    for (const std::string& command :
         {"openssl ec -in " + certs.path("server.key") + " -aes256 -passout pass:pw -out " + encrypted,
          "openssl pkey -in " + certs.path("server.key") + " -aes-256-cbc -passout pass:pw -out " + pkcs8_aes}) {
        const tls_test::CommandResult made = tls_test::run_command(command);
        ASSERT_EQ(made.status, 0) << command << "\n" << made.output;
    }
    const std::string certificate = certs.pem("server.pem");
    const std::string key = certs.pem("server-encrypted.key");
    EXPECT_NE(tls_error_of([&] { return asyncio::ServerTls::from_pem(certificate, key); }).find("no password"),
              std::string::npos);
    EXPECT_NE(tls_error_of([&] { return asyncio::ServerTls::from_pem(certificate, key, "wrong"); }), "");
    EXPECT_EQ(tls_error_of([&] { return asyncio::ServerTls::from_pem(certificate, key, "pw"); }), "");
    // PKCS#8 with AES (OpenSSL 3's default): mbedTLS 3 decrypts it; 2.x says how to convert it.
    const std::string pkcs8_key = certs.pem("server-pkcs8-aes.key");
    const std::string error = tls_error_of([&] { return asyncio::ServerTls::from_pem(certificate, pkcs8_key, "pw"); });
    EXPECT_TRUE(error.empty() || error.find("openssl ec -in KEY -aes256") != std::string::npos) << error;
}

}  // namespace
