#pragma once
// The recent readings, oldest first, in a fixed ring: memory is bounded by --history whatever
// the uptime. Each reading gets an id (1, 2, 3...), which Server-Sent Events use to resume.

#include "reading.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sensor_server {

struct Sample {
    std::uint64_t id = 0;
    Reading reading;
};

class History {
public:
    explicit History(std::size_t capacity) : m_ring(capacity == 0 ? 1 : capacity) {}

    /// Stores `reading` (dropping the oldest when full) and returns its id.
    std::uint64_t push(const Reading& reading) {
        const std::uint64_t id = ++m_last_id;
        m_ring[(id - 1) % m_ring.size()] = Sample{id, reading};
        return id;
    }

    [[nodiscard]] std::size_t size() const noexcept { return m_last_id < m_ring.size() ? m_last_id : m_ring.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return m_ring.size(); }
    [[nodiscard]] std::uint64_t last_id() const noexcept { return m_last_id; }
    [[nodiscard]] bool empty() const noexcept { return m_last_id == 0; }
    /// The newest sample. Precondition: !empty().
    [[nodiscard]] const Sample& latest() const noexcept { return m_ring[(m_last_id - 1) % m_ring.size()]; }

    /// Calls fn(const Sample&) for every stored sample with id > after, oldest first.
    template <class Fn>
    void for_each_after(std::uint64_t after, Fn fn) const {
        const std::uint64_t first = m_last_id - size() + 1;
        for (std::uint64_t id = after + 1 > first ? after + 1 : first; id <= m_last_id; ++id) {
            fn(m_ring[(id - 1) % m_ring.size()]);
        }
    }

private:
    std::vector<Sample> m_ring;
    std::uint64_t m_last_id = 0;
};

}  // namespace sensor_server
