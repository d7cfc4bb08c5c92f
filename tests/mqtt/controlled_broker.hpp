#pragma once
// A mosquitto the test controls beyond start and stop: optionally persistent (its database in a
// directory of its own, so a restart on the same port keeps the sessions), and frozen and thawed
// with SIGSTOP/SIGCONT. Always on 127.0.0.1, on a port chosen once, so a restart comes back where
// the clients reconnect to. Signals go to this broker's PID only.

#include "mqtt/mosquitto_broker.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace mqtt_test {

class ControlledMosquitto {
public:
    struct Config {
        bool persistence = false;  ///< keep sessions and queued messages across a restart
    };

    explicit ControlledMosquitto(Config config) : m_port(free_port()) {
        char directory[] = "/tmp/asyncio-mqtt-test-XXXXXX";
        if (::mkdtemp(directory) != nullptr) m_directory = directory;
        m_config = m_directory + "/mosquitto.conf";
        std::ofstream out(m_config);
        out << "listener " << m_port << " 127.0.0.1\nallow_anonymous true\n";
        if (config.persistence) {
            // Written at a clean exit (SIGTERM); no limit on what is queued for an offline
            // client, so nothing is dropped by the broker's own policy.
            out << "persistence true\npersistence_location " << m_directory << "/\n"
                << "persistence_file broker.db\nautosave_interval 0\nmax_queued_messages 0\n";
        } else {
            out << "persistence false\n";
        }
        if (::geteuid() == 0) out << "user root\n";
    }
    ControlledMosquitto() : ControlledMosquitto(Config{}) {}
    ControlledMosquitto(const ControlledMosquitto&) = delete;
    ControlledMosquitto& operator=(const ControlledMosquitto&) = delete;
    ~ControlledMosquitto() {
        stop();
        std::remove(m_config.c_str());
        std::remove((m_directory + "/broker.db").c_str());
        std::remove((m_directory + "/broker.db.new").c_str());
        ::rmdir(m_directory.c_str());
    }

    /// Starts the broker and waits (up to 10 s) until it accepts connections.
    bool start() {
        const std::string program = find_program("mosquitto");
        if (program.empty()) return false;
        m_pid = ::fork();
        if (m_pid == 0) {
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
            ::dup2(null, 2);
            ::execl(program.c_str(), program.c_str(), "-c", m_config.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int attempt = 0; attempt < 200; ++attempt) {
            if (accepts_connections(m_port)) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    /// SIGTERM to this broker (thawed first if frozen) and reaps it: a persistent one writes its
    /// database on the way out.
    void stop() {
        if (m_pid <= 0) return;
        ::kill(m_pid, SIGCONT);
        ::kill(m_pid, SIGTERM);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_pid = -1;
    }

    /// SIGSTOP: the process stops, its sockets stay open (the kernel still acknowledges what
    /// clients send, nothing is answered).
    void freeze() const {
        if (m_pid > 0) ::kill(m_pid, SIGSTOP);
    }
    /// SIGCONT: the process runs again.
    void thaw() const {
        if (m_pid > 0) ::kill(m_pid, SIGCONT);
    }

    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }

private:
    std::uint16_t m_port;
    std::string m_directory;
    std::string m_config;
    pid_t m_pid = -1;
};

}  // namespace mqtt_test
