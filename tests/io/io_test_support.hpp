#pragma once
// Shared helpers of the io tests: a fixture that checks the process's descriptor count is the same
// after each test as before it, a bounded run(), error-report capture, and process figures
// (descriptors, RSS, CPU time) read from /proc and getrusage.

#include <asyncio/core/loop.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/io/stream.hpp>

#include <gtest/gtest.h>

#if defined(__SANITIZE_ADDRESS__)
// From <sanitizer/allocator_interface.h>, which g++ does not install on every system.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace io_test {

using namespace std::chrono_literals;

/// Open descriptors of this process (entries of /proc/self/fd, the listing's own one included,
/// the same before and after).
inline int open_fd_count() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return -1;
    int count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    return count;
}

/// Resident set size in bytes (VmRSS of /proc/self/status).
inline std::int64_t rss_bytes() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
    }
    return -1;
}

/// Memory the process uses, for "does it grow with the transfer" checks: the resident set size,
/// or under AddressSanitizer (whose quarantine of freed blocks inflates RSS by up to 256 MiB) the
/// bytes allocated and not freed.
inline std::int64_t memory_in_use() {
#if defined(__SANITIZE_ADDRESS__)
    return static_cast<std::int64_t>(__sanitizer_get_current_allocated_bytes());
#else
    return rss_bytes();
#endif
}

/// CPU time (user + system) the process has used so far.
inline std::chrono::microseconds cpu_time() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto us = [](const timeval& tv) { return std::int64_t{tv.tv_sec} * 1'000'000 + tv.tv_usec; };
    return std::chrono::microseconds(us(usage.ru_utime) + us(usage.ru_stime));
}

/// Raises the soft descriptor limit to at least `wanted` (up to the hard limit); false if the
/// hard limit is lower.
inline bool raise_fd_limit(rlim_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
    if (limit.rlim_cur >= wanted) return true;
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur >= wanted;
}

/// Whether this host can bind IPv6 on ::1.
inline bool has_ipv6() {
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

/// A plain blocking TCP listener on 127.0.0.1 (port 0), for tests that need a peer the library
/// does not manage. Closed on destruction.
class RawListener {
public:
    explicit RawListener(int backlog = 16) {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(m_fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(m_fd, backlog) != 0 ||
            ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            ADD_FAILURE() << "raw listener: " << std::strerror(errno);
        }
        m_port = ntohs(address.sin_port);
    }
    RawListener(const RawListener&) = delete;
    RawListener& operator=(const RawListener&) = delete;
    ~RawListener() { ::close(m_fd); }

    [[nodiscard]] int fd() const noexcept { return m_fd; }
    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }
    /// Accepts one connection (blocking: call it once the client is connected).
    [[nodiscard]] int accept() const { return ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC); }

private:
    int m_fd = -1;
    std::uint16_t m_port = 0;
};

/// A connected pair of Streams over 127.0.0.1: {client, server}.
inline asyncio::Task<std::pair<asyncio::Stream, asyncio::Stream>> tcp_pair() {
    RawListener listener;
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", listener.port());
    asyncio::Stream server(listener.accept());  // already established: accept does not block
    co_return std::pair<asyncio::Stream, asyncio::Stream>(std::move(client), std::move(server));
}

/// Sends `line` and returns the line that comes back (from an echo server).
inline asyncio::Task<std::string> ask(asyncio::Stream& stream, std::string line) {
    stream.write(line);
    co_await stream.drain();
    co_return co_await stream.readline();
}

/// Closes a socket so that the peer gets a reset (RST) instead of a FIN.
inline void close_with_reset(int fd) {
    linger option{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof option);
    ::close(fd);
}

/// Closes a Stream so that the peer gets a reset: SO_LINGER 0, then close() with nothing buffered.
inline void reset(asyncio::Stream& stream) {
    linger option{1, 0};
    ::setsockopt(stream.fd(), SOL_SOCKET, SO_LINGER, &option, sizeof option);
    stream.close();
}

/// Collects what the library reports (asyncio::set_error_reporter) while alive.
class CapturedReports {
public:
    CapturedReports() {
        asyncio::set_error_reporter([this](const std::string& message) { m_messages.push_back(message); });
    }
    CapturedReports(const CapturedReports&) = delete;
    CapturedReports& operator=(const CapturedReports&) = delete;
    ~CapturedReports() { asyncio::set_error_reporter(nullptr); }

    [[nodiscard]] const std::vector<std::string>& messages() const noexcept { return m_messages; }
    [[nodiscard]] std::size_t count_containing(const std::string& text) const {
        std::size_t n = 0;
        for (const auto& message : m_messages) n += message.find(text) != std::string::npos ? 1 : 0;
        return n;
    }

private:
    std::vector<std::string> m_messages;
};

/// asyncio::run() with a time limit, so that a hang fails the test instead of the suite.
template <class T>
T run(asyncio::Task<T> main, std::chrono::seconds limit = 60s) {
    return asyncio::run(asyncio::wait_for(std::move(main), limit));
}

/// Every io test: the process has as many descriptors open after the test as before it.
/// (A name lookup runs on a detached thread that may close its descriptors a moment after the
/// test: the count is given a short while to settle.)
class IoTest : public ::testing::Test {
protected:
    void SetUp() override { m_fds_before = open_fd_count(); }
    void TearDown() override {
        int after = open_fd_count();
        for (int i = 0; i < 100 && after != m_fds_before; ++i) {
            std::this_thread::sleep_for(10ms);
            after = open_fd_count();
        }
        EXPECT_EQ(after, m_fds_before) << "descriptors leaked (or closed) by this test";
    }

private:
    int m_fds_before = 0;
};

}  // namespace io_test
