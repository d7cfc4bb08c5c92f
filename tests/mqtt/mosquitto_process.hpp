#pragma once
// A mosquitto broker of the program's own: a free port on 127.0.0.1, a generated configuration
// (anonymous, persistent or not, and whatever the caller adds to its listener, TLS say), started,
// stopped, frozen and thawed by PID. The MQTT tests and bench/mqtt use it; it needs no gtest.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace mqtt_test {

inline std::string find_program(const char* name) {
    for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/usr/local/sbin/", "/usr/local/bin/"}) {
        const std::string path = std::string(dir) + name;
        if (::access(path.c_str(), X_OK) == 0) return path;
    }
    return {};
}

/// A port nobody listens on now (the kernel's choice for a bound, closed socket).
inline std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t size = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    ::close(fd);
    return ntohs(address.sin_port);
}

inline bool accepts_connections(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

class Mosquitto {
public:
    /// `listener_options`: lines for the listener ("cafile ...\ncertfile ...\nkeyfile ...\n").
    /// `persistent`: the broker keeps sessions and queued messages across a restart (its database
    /// in its own directory, written at a clean exit; no limit on what it queues for a client
    /// that is offline, so nothing is dropped by the broker's own policy).
    explicit Mosquitto(const std::string& listener_options = "", bool persistent = false) : m_port(free_port()) {
        char directory[] = "/tmp/asyncio-mqtt-test-XXXXXX";
        if (::mkdtemp(directory) != nullptr) m_directory = directory;
        m_config = m_directory + "/mosquitto.conf";
        std::ofstream config(m_config);
        config << "listener " << m_port << " 127.0.0.1\n" << listener_options << "allow_anonymous true\n";
        if (persistent) {
            config << "persistence true\npersistence_location " << m_directory << "/\n"
                   << "persistence_file broker.db\nautosave_interval 0\nmax_queued_messages 0\n";
        } else {
            config << "persistence false\n";
        }
        // Started by root, mosquitto becomes the user "mosquitto", who cannot read the test's
        // private files (certificates and keys in a 0700 directory): stay who we are.
        if (::geteuid() == 0) config << "user root\n";
    }
    Mosquitto(const Mosquitto&) = delete;
    Mosquitto& operator=(const Mosquitto&) = delete;
    ~Mosquitto() {
        stop();
        for (const char* file : {"/mosquitto.conf", "/broker.db", "/broker.db.new"}) std::remove((m_directory + file).c_str());
        ::rmdir(m_directory.c_str());
    }

    static bool installed() { return !find_program("mosquitto").empty(); }

    /// Starts the broker (again, after stop(), on the same port) and waits (up to 10 s) until it
    /// accepts connections.
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

    /// Stops this broker (its PID only; thawed first if frozen) with SIGTERM and reaps it: a
    /// persistent one writes its database on the way out.
    void stop() {
        if (m_pid <= 0) return;
        ::kill(m_pid, SIGCONT);
        ::kill(m_pid, SIGTERM);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_pid = -1;
    }

    /// SIGSTOP: the process stops, its sockets stay open (the kernel still acknowledges what
    /// clients send; nothing is answered).
    void freeze() const {
        if (m_pid > 0) ::kill(m_pid, SIGSTOP);
    }
    /// SIGCONT: the process runs again.
    void thaw() const {
        if (m_pid > 0) ::kill(m_pid, SIGCONT);
    }

    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }
    [[nodiscard]] pid_t pid() const noexcept { return m_pid; }

private:
    std::uint16_t m_port;
    std::string m_directory;
    std::string m_config;
    pid_t m_pid = -1;
};

}  // namespace mqtt_test
