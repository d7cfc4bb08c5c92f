// The library's TLS against other implementations: curl, Python's ssl module and
// `openssl s_client` as clients of our server; our client against `openssl s_server`.

#include "tls/tls_test_support.hpp"

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/to_thread.hpp>

#include <functional>
#include <string>
#include <utility>

namespace {

using namespace std::chrono_literals;
using tls_test::Certificates;
using tls_test::run_command;

class TlsInterop : public io_test::IoTest {
protected:
    void SetUp() override {
        TLS_TEST_NEEDS_CERTIFICATES();
        IoTest::SetUp();
    }
};

/// A one-request HTTP server: reads the request head, answers "hello over TLS", closes.
asyncio::Task<> answer_http(asyncio::Stream s) {
    (void)co_await s.readuntil("\r\n\r\n");
    s.write("HTTP/1.1 200 OK\r\nContent-Length: 14\r\nConnection: close\r\n\r\nhello over TLS");
    co_await s.drain();
    s.close();
    co_await s.wait_closed();
}

/// Runs the shell command that `command_for(port)` gives on a worker thread while our TLS server
/// serves `handler` on 127.0.0.1; returns what the command printed and its status.
tls_test::CommandResult against_our_server(asyncio::Server::Callback handler,
                                           std::function<std::string(std::uint16_t)> command_for) {
    return io_test::run([](asyncio::Server::Callback handler,
                           std::function<std::string(std::uint16_t)> command_for) -> asyncio::Task<tls_test::CommandResult> {
        auto server = co_await asyncio::start_server(std::move(handler), "127.0.0.1", 0, Certificates::get().server());
        tls_test::CommandResult result = co_await asyncio::to_thread(run_command, command_for(server.port()));
        server.close();
        co_await server.wait_closed();
        co_return result;
    }(std::move(handler), std::move(command_for)));
}

TEST_F(TlsInterop, CurlVerifiesOurServerAndGetsThePage) {
    if (!tls_test::have_program("curl")) GTEST_SKIP() << "no curl";
    const auto result = against_our_server(answer_http, [](std::uint16_t port) {
        return "curl -sS --max-time 10 --cacert " + Certificates::get().path("ca.pem") + " https://127.0.0.1:" +
               std::to_string(port) + "/ && curl -sS --max-time 10 --cacert " + Certificates::get().path("ca.pem") +
               " --resolve localhost:" + std::to_string(port) + ":127.0.0.1 https://localhost:" + std::to_string(port) +
               "/";
    });
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_EQ(result.output, "hello over TLShello over TLS");
}

TEST_F(TlsInterop, CurlWithoutTheCaRefusesOurServer) {
    if (!tls_test::have_program("curl")) GTEST_SKIP() << "no curl";
    const auto result = against_our_server(answer_http, [](std::uint16_t port) {
        return "curl -sS --max-time 10 https://127.0.0.1:" + std::to_string(port) + "/";
    });
    EXPECT_NE(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("certificate"), std::string::npos) << result.output;
}

TEST_F(TlsInterop, PythonSslClientEchoesAndClosesCleanly) {
    const auto result = against_our_server(tls_test::echo_lines, [](std::uint16_t port) {
        return "timeout 20 python3 -c '\n"
               "import socket, ssl, sys\n"
               "context = ssl.create_default_context(cafile=sys.argv[1])\n"
               "with socket.create_connection((\"127.0.0.1\", int(sys.argv[2])), timeout=10) as raw:\n"
               "    with context.wrap_socket(raw, server_hostname=\"localhost\") as s:\n"
               "        s.sendall(b\"ping from python\\n\")\n"
               "        data = b\"\"\n"
               "        while not data.endswith(b\"\\n\"):\n"
               "            data += s.recv(100)\n"
               "        print(data.decode().strip(), s.version())\n"
               "        s.unwrap()  # close_notify both ways\n"
               "' " + Certificates::get().path("ca.pem") + " " + std::to_string(port);
    });
    EXPECT_EQ(result.status, 0) << result.output;
    // TLS 1.2 with mbedTLS 2.28; 3.6 negotiates 1.3 with a client that offers it.
    const bool tls12_or_13 = result.output.rfind("ping from python TLSv1.2", 0) == 0 ||
                             result.output.rfind("ping from python TLSv1.3", 0) == 0;
    EXPECT_TRUE(tls12_or_13) << result.output;
}

TEST_F(TlsInterop, OpensslSClientVerifiesAndEchoes) {
    if (!tls_test::have_program("openssl")) GTEST_SKIP() << "no openssl";
    const auto result = against_our_server(
        [](asyncio::Stream s) -> asyncio::Task<> {  // one line back, then close (s_client exits)
            std::string line = co_await s.readline();
            s.write("echo: " + line);
            co_await s.drain();
            s.close();
            co_await s.wait_closed();
        },
        [](std::uint16_t port) {
            return "echo 'hello from s_client' | timeout 20 openssl s_client -brief -ign_eof -verify_return_error "
                   "-CAfile " + Certificates::get().path("ca.pem") + " -verify_hostname localhost -connect 127.0.0.1:" +
                   std::to_string(port);
        });
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("Verification: OK"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("echo: hello from s_client"), std::string::npos) << result.output;
}

/// `openssl s_server -www` on `port` with `certificate` (its .pem and .key): it answers a GET
/// with a page about the session.
tls_test::ChildProcess s_server_www(std::uint16_t port, const std::string& certificate) {
    const Certificates& certs = Certificates::get();
    return tls_test::ChildProcess({"openssl", "s_server", "-quiet", "-www", "-accept", std::to_string(port), "-cert",
                                   certs.path(certificate + ".pem"), "-key", certs.path(certificate + ".key")});
}

/// GET / from `openssl s_server -www` on `port` over `tls`, once it listens: the page, which says
/// "New, " or "Reused, " about the session.
asyncio::Task<std::string> s_server_page(std::uint16_t port, asyncio::ClientTls tls) {
    for (int attempt = 0;; ++attempt) {  // s_server needs a moment to listen
        try {
            asyncio::Stream s = co_await asyncio::open_connection("127.0.0.1", port, tls);
            s.write("GET / HTTP/1.0\r\n\r\n");
            co_await s.drain();
            std::string all = co_await s.read();
            s.close();
            co_await s.wait_closed();
            co_return all;
        } catch (const std::system_error&) {
            if (attempt == 100) throw;
        }
        co_await asyncio::sleep(50ms);
    }
}

TEST_F(TlsInterop, OurClientAgainstOpensslSServer) {
    if (!tls_test::have_program("openssl")) GTEST_SKIP() << "no openssl";
    const std::uint16_t port = tls_test::free_port();
    const tls_test::ChildProcess s_server = s_server_www(port, "server");
    ASSERT_TRUE(s_server.started());
    const std::string page = io_test::run(s_server_page(port, Certificates::get().client()), 30s);
    EXPECT_EQ(page.rfind("HTTP/1.0 200 ok", 0), 0u) << page.substr(0, 200);
    EXPECT_NE(page.find("Ciphers supported in s_server binary"), std::string::npos);
}

TEST_F(TlsInterop, OurClientResumesItsSessionWithOpensslSServer) {
    if (!tls_test::have_program("openssl")) GTEST_SKIP() << "no openssl";
    const std::uint16_t port = tls_test::free_port();
    const tls_test::ChildProcess s_server = s_server_www(port, "server");
    ASSERT_TRUE(s_server.started());
    struct Pages {
        std::string first, again, copy, other_client;
    };
    const Pages pages = io_test::run([](std::uint16_t port) -> asyncio::Task<Pages> {
        const asyncio::ClientTls tls = Certificates::get().client();
        Pages got;
        got.first = co_await s_server_page(port, tls);
        got.again = co_await s_server_page(port, tls);
        const asyncio::ClientTls copy = tls;  // copies share the sessions
        got.copy = co_await s_server_page(port, copy);
        got.other_client = co_await s_server_page(port, Certificates::get().client());
        co_return got;
    }(port), 30s);
    EXPECT_NE(pages.first.find("\nNew, TLSv1."), std::string::npos) << pages.first.substr(0, 400);
    EXPECT_NE(pages.again.find("\nReused, TLSv1."), std::string::npos) << pages.again.substr(0, 400);
    EXPECT_NE(pages.copy.find("\nReused, TLSv1."), std::string::npos) << pages.copy.substr(0, 400);
    EXPECT_NE(pages.other_client.find("\nNew, TLSv1."), std::string::npos) << pages.other_client.substr(0, 400);
}

TEST_F(TlsInterop, OurClientRefusesOpensslSServerWithAnExpiredCertificate) {
    if (!tls_test::have_program("openssl")) GTEST_SKIP() << "no openssl";
    const std::uint16_t port = tls_test::free_port();
    const tls_test::ChildProcess s_server = s_server_www(port, "expired");
    ASSERT_TRUE(s_server.started());
    const std::string message = io_test::run([](std::uint16_t port) -> asyncio::Task<std::string> {
        for (int attempt = 0;; ++attempt) {
            try {
                (void)co_await asyncio::open_connection("127.0.0.1", port, Certificates::get().client());
                co_return "connected";
            } catch (const asyncio::TlsError& error) {
                co_return error.what();
            } catch (const std::system_error&) {
                if (attempt == 100) throw;
            }
            co_await asyncio::sleep(50ms);
        }
    }(port), 30s);
    EXPECT_NE(message.find("expired"), std::string::npos) << message;
}

/// Python's ssl client fetches a page from `first_port`, then from `second_port` offering the
/// session (and ticket) it got from the first; prints whether the second server resumed it.
std::string python_resumes_on_another_port(std::uint16_t first_port, std::uint16_t second_port) {
    return "timeout 20 python3 -c '\n"
           "import socket, ssl, sys\n"
           "context = ssl.create_default_context(cafile=sys.argv[1])\n"
           "def get(port, session):\n"
           "    with socket.create_connection((\"127.0.0.1\", port), timeout=10) as raw:\n"
           "        with context.wrap_socket(raw, server_hostname=\"localhost\", session=session) as s:\n"
           "            s.sendall(b\"GET / HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n\")\n"
           "            while s.recv(1000):  # the whole answer: a TLS 1.3 ticket comes after the handshake\n"
           "                pass\n"
           "            return s.session, s.session_reused\n"
           "session, _ = get(int(sys.argv[2]), None)\n"
           "print(\"ticket\" if session.has_ticket else \"no ticket\", end=\" \")\n"
           "_, reused = get(int(sys.argv[3]), session)\n"
           "print(\"resumed\" if reused else \"full handshake\")\n"
           "' " + Certificates::get().path("ca.pem") + " " + std::to_string(first_port) + " " + std::to_string(second_port);
}

/// Two servers, each with its own ServerTls (as the loops of sensor-server --workers have), the
/// second sharing the first's ticket keys or not; what python_resumes_on_another_port() printed.
tls_test::CommandResult resume_across_servers(bool share_tickets) {
    return io_test::run([](bool share_tickets) -> asyncio::Task<tls_test::CommandResult> {
        const Certificates& certs = Certificates::get();
        const asyncio::ServerTls first = certs.server();
        asyncio::ServerTls second = certs.server();
        if (share_tickets) second.share_session_tickets_with(first);
        auto one = co_await asyncio::start_server(answer_http, "127.0.0.1", 0, first);
        auto other = co_await asyncio::start_server(answer_http, "127.0.0.1", 0, second);
        tls_test::CommandResult result =
            co_await asyncio::to_thread(run_command, python_resumes_on_another_port(one.port(), other.port()));
        one.close();
        other.close();
        co_await one.wait_closed();
        co_await other.wait_closed();
        co_return result;
    }(share_tickets));
}

TEST_F(TlsInterop, ATicketFromOneServerResumesOnAnotherThatSharesItsKeys) {
    if (!asyncio::ServerTls::can_share_session_tickets()) GTEST_SKIP() << "this mbedTLS cannot share tickets";
    const auto shared = resume_across_servers(true);
    EXPECT_EQ(shared.status, 0) << shared.output;
    EXPECT_EQ(shared.output, "ticket resumed\n");
    const auto apart = resume_across_servers(false);  // each with its own keys: nothing to resume
    EXPECT_EQ(apart.status, 0) << apart.output;
    EXPECT_EQ(apart.output, "ticket full handshake\n");
}

TEST_F(TlsInterop, SharingTicketsNeedsThreadSafeMbedtlsAndTwoLiveServerTls) {
    const asyncio::ServerTls first = Certificates::get().server();
    asyncio::ServerTls second = Certificates::get().server();
    if (asyncio::ServerTls::can_share_session_tickets()) {
        EXPECT_NO_THROW(second.share_session_tickets_with(first));
    } else {
        EXPECT_THROW(second.share_session_tickets_with(first), asyncio::TlsError);
    }
    asyncio::ServerTls gone = std::move(second);
    EXPECT_THROW(second.share_session_tickets_with(first), asyncio::InvalidStateError);  // NOLINT(bugprone-use-after-move)
    EXPECT_THROW(gone.share_session_tickets_with(second), asyncio::InvalidStateError);   // NOLINT(bugprone-use-after-move)
}

}  // namespace
