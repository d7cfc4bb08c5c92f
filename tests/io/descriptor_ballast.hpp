#pragma once
// A test fixture that fills the process's descriptor table, so that accept() fails with EMFILE:
// for the tests of a server that runs out of descriptors.
#include <sys/resource.h>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

namespace io_test {

/// Fills the descriptor table while alive: every accept() then fails with EMFILE. make_room()
/// frees slots for the test's own client sockets.
///
/// Up to a soft limit of kMostFilled it takes every descriptor the limit allows. Above, it lowers
/// the soft limit first, to keep that cheap; but io_uring's background accept keeps the limit in
/// force when it started, so a server on io_uring may then still accept (misses_background_accepts()).
class DescriptorBallast {
public:
    static constexpr rlim_t kMostFilled = 65536;

    DescriptorBallast() {
        m_source = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        ::getrlimit(RLIMIT_NOFILE, &m_saved);
        if (lowers_limit()) {
            rlimit lowered = m_saved;
            lowered.rlim_cur = static_cast<rlim_t>(highest_fd() + 32);
            ::setrlimit(RLIMIT_NOFILE, &lowered);
        }
        for (int fd; (fd = ::fcntl(m_source, F_DUPFD_CLOEXEC, 0)) >= 0;) m_fds.push_back(fd);
    }
    DescriptorBallast(const DescriptorBallast&) = delete;
    DescriptorBallast& operator=(const DescriptorBallast&) = delete;
    ~DescriptorBallast() { release(); }

    /// Closes `n` of the ballast's descriptors: the next `n` opened take their place.
    void make_room(std::size_t n) {
        for (; n > 0 && !m_fds.empty(); --n) {
            ::close(m_fds.back());
            m_fds.pop_back();
        }
    }
    void release() {
        make_room(m_fds.size());
        if (m_source >= 0) ::close(std::exchange(m_source, -1));
        ::setrlimit(RLIMIT_NOFILE, &m_saved);
    }
    [[nodiscard]] std::size_t size() const noexcept { return m_fds.size(); }
    /// Whether a ballast made now lowers the soft limit (see above).
    static bool lowers_limit() {
        rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        return limit.rlim_cur > kMostFilled;
    }
    /// A server that already accepts in the background (ASYNCIO_POLLER=uring) will not run out
    /// of descriptors when a ballast lowers the limit.
    static bool misses_background_accepts() {
        const char* poller = std::getenv("ASYNCIO_POLLER");
        return lowers_limit() && poller != nullptr && std::string_view(poller) == "uring";
    }

private:
    static int highest_fd() {
        int highest = 0;
        DIR* dir = ::opendir("/proc/self/fd");
        while (const dirent* entry = ::readdir(dir)) {
            if (entry->d_name[0] != '.') highest = std::max(highest, std::atoi(entry->d_name));
        }
        ::closedir(dir);
        return highest;
    }
    int m_source = -1;
    rlimit m_saved{};
    std::vector<int> m_fds;
};

}  // namespace io_test
