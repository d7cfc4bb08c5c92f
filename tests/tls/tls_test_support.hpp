#pragma once
// Shared helpers of the TLS tests: certificates made once per test program with `openssl`
// (ECDSA P-256) in a temporary directory, commands run as peers (curl, python3, openssl), and an
// echo handler.

#include "io/io_test_support.hpp"

#include <asyncio/core/task.hpp>
#include <asyncio/io/server.hpp>
#include <asyncio/io/stream.hpp>
#include <asyncio/io/tls.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace tls_test {

using namespace std::chrono_literals;

/// Output (stdout and stderr) and exit status of a shell command.
struct CommandResult {
    int status = -1;
    std::string output;
};

/// Runs `command` through /bin/sh and waits for it (give every command its own time limit).
inline CommandResult run_command(const std::string& command) {
    CommandResult result;
    FILE* pipe = ::popen(("(" + command + ") 2>&1").c_str(), "r");
    if (pipe == nullptr) return result;
    char chunk[4096];
    while (const std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) result.output.append(chunk, n);
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

inline bool have_program(const std::string& name) {
    return run_command("command -v " + name + " >/dev/null").status == 0;
}

/// The test certificates: a CA, a server certificate for localhost and 127.0.0.1, an expired
/// one, one for another name (all signed by the CA), and a second CA nobody uses.
class Certificates {
public:
    static const Certificates& get() {
        static const Certificates certificates;
        return certificates;
    }
    Certificates(const Certificates&) = delete;
    Certificates& operator=(const Certificates&) = delete;
    ~Certificates() {
        std::error_code ignored;
        std::filesystem::remove_all(m_dir, ignored);
    }

    [[nodiscard]] bool ok() const noexcept { return m_ok; }
    [[nodiscard]] std::string path(const std::string& name) const { return m_dir + "/" + name; }
    [[nodiscard]] std::string pem(const std::string& name) const { return asyncio::read_pem_file(path(name)); }

    [[nodiscard]] asyncio::ServerTls server(const std::string& certificate = "server") const {
        return asyncio::ServerTls::from_files(path(certificate + ".pem"), path(certificate + ".key"));
    }
    [[nodiscard]] asyncio::ClientTls client(const std::string& ca = "ca", const std::string& hostname = "localhost") const {
        asyncio::ClientTls tls = asyncio::ClientTls::from_file(path(ca + ".pem"));
        tls.server_hostname = hostname;
        return tls;
    }

private:
    Certificates() {
        char pattern[] = "/tmp/asyncio-tls-test-XXXXXX";
        if (::mkdtemp(pattern) == nullptr) return;
        m_dir = pattern;
        const std::string d = m_dir + "/";
        const std::string p256 = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
        const auto ca = [&](const std::string& name) {
            return "openssl req -x509 " + p256 + " -keyout " + d + name + ".key -out " + d + name +
                   ".pem -days 30 -subj '/CN=asyncio test " + name +
                   "' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign";
        };
        const auto leaf = [&](const std::string& name, const std::string& cn, const std::string& san,
                              const std::string& days) {
            return "printf 'subjectAltName=" + san +
                   "\\nbasicConstraints=CA:FALSE\\nkeyUsage=digitalSignature\\nextendedKeyUsage=serverAuth\\n' > " + d +
                   name + ".ext && openssl req " + p256 + " -keyout " + d + name + ".key -out " + d + name +
                   ".csr -subj '/CN=" + cn + "' && openssl x509 -req -in " + d + name + ".csr -CA " + d +
                   "ca.pem -CAkey " + d + "ca.key -CAcreateserial -out " + d + name + ".pem -days " + days +
                   " -extfile " + d + name + ".ext";
        };
        const std::vector<std::string> commands = {
            ca("ca"),
            ca("other_ca"),
            leaf("server", "localhost", "DNS:localhost,IP:127.0.0.1", "30"),
            leaf("expired", "localhost", "DNS:localhost,IP:127.0.0.1", "-1"),
            leaf("other_name", "other.example", "DNS:other.example", "30"),
        };
        for (const std::string& command : commands) {
            const CommandResult made = run_command(command);
            if (made.status != 0) {
                ADD_FAILURE() << command << "\n" << made.output;
                return;
            }
        }
        m_ok = true;
    }

    std::string m_dir;
    bool m_ok = false;
};

/// A process the test started (argv, no shell), killed and reaped when this goes.
class ChildProcess {
public:
    explicit ChildProcess(const std::vector<std::string>& argv) {
        std::vector<char*> args;
        for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);  // no EOF-driven exit
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        if (::posix_spawnp(&m_pid, args[0], &actions, nullptr, args.data(), environ) != 0) m_pid = -1;
        posix_spawn_file_actions_destroy(&actions);
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess() {
        if (m_pid <= 0) return;
        ::kill(m_pid, SIGTERM);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
    [[nodiscard]] bool started() const noexcept { return m_pid > 0; }

private:
    pid_t m_pid = -1;
};

/// A port of 127.0.0.1 that was free a moment ago (for a peer program that needs a number).
inline std::uint16_t free_port() {
    io_test::RawListener probe;
    return probe.port();
}

/// Echoes every line until EOF, then closes.
inline asyncio::Task<> echo_lines(asyncio::Stream stream) {
    for (;;) {
        std::string line = co_await stream.readline();
        if (line.empty()) break;
        stream.write(std::move(line));
        co_await stream.drain();
    }
    stream.close();
    co_await stream.wait_closed();
}

/// Skips the test when the certificates could not be made.
#define TLS_TEST_NEEDS_CERTIFICATES()                                                      \
    do {                                                                                   \
        if (!::tls_test::Certificates::get().ok()) GTEST_SKIP() << "openssl could not make the certificates"; \
    } while (false)

}  // namespace tls_test
