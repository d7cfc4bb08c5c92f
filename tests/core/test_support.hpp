#pragma once
// Helpers shared by the core tests: a loop on the virtual clock, a trace to compare with what
// CPython prints for the same program, and a capture of what the loop reports.

#include <asyncio/core/loop.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/virtual_clock.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace asyncio_test {

/// Runs `task` on a fresh loop whose clock only moves when the loop would sleep.
template <class T>
T run_virtual(asyncio::Task<T> task) {
    asyncio::EventLoop loop(std::make_unique<asyncio::VirtualClock>());
    return loop.run_until_complete(std::move(task));
}

/// The running loop's clock, as a duration since the loop's origin (0 on a VirtualClock).
inline asyncio::Duration now() { return asyncio::get_event_loop().time().time_since_epoch(); }

/// What happened, in order; compared with the list CPython's asyncio prints.
using Trace = std::vector<std::string>;

/// Captures every line the library reports (failed tasks nobody awaited, stalls) while alive.
class CapturedReports {
public:
    CapturedReports() {
        asyncio::set_error_reporter([this](const std::string& line) { m_lines.push_back(line); });
    }
    CapturedReports(const CapturedReports&) = delete;
    CapturedReports& operator=(const CapturedReports&) = delete;
    ~CapturedReports() { asyncio::set_error_reporter(nullptr); }

    [[nodiscard]] const std::vector<std::string>& lines() const noexcept { return m_lines; }
    /// How many reported lines contain every one of `parts`.
    [[nodiscard]] std::size_t count(std::initializer_list<std::string> parts) const {
        return static_cast<std::size_t>(std::count_if(m_lines.begin(), m_lines.end(), [&](const std::string& line) {
            return std::all_of(parts.begin(), parts.end(),
                               [&](const std::string& part) { return line.find(part) != std::string::npos; });
        }));
    }

private:
    std::vector<std::string> m_lines;
};

/// Seconds as a Duration, to compare virtual times exactly.
template <class Rep, class Period>
asyncio::Duration ns(std::chrono::duration<Rep, Period> d) {
    return std::chrono::duration_cast<asyncio::Duration>(d);
}

}  // namespace asyncio_test
