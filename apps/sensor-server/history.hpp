#pragma once
// The recent readings, oldest first, in a fixed ring: memory is bounded by --history whatever
// the uptime. Each reading gets an id (1, 2, 3...), which Server-Sent Events use to resume. A
// history kept from an earlier run (--history-file) is put back with restore(): its ids stay, and
// new readings go on from the last of them.

#include "reading.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
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
        if (m_size < m_ring.size()) ++m_size;
        return id;
    }

    /// Stores a sample taken elsewhere (another event loop's sampler) with its own id, which
    /// must be after last_id(). Ids skipped on the way (readings a loop that fell behind dropped)
    /// stay missing: for_each_after() and find() pass over them.
    void insert(const Sample& sample) {
        if (sample.id <= m_last_id) return;
        const std::uint64_t gap = sample.id - m_last_id - 1;
        for (std::uint64_t i = 0; i < gap && i < m_ring.size(); ++i) m_ring[(sample.id - 2 - i) % m_ring.size()].id = 0;
        m_size = static_cast<std::size_t>(std::min<std::uint64_t>(m_ring.size(), m_size + gap + 1));
        m_last_id = sample.id;
        m_ring[(sample.id - 1) % m_ring.size()] = sample;
    }

    /// Replaces the history by `samples` (oldest first, ids consecutive and not 0), keeping the
    /// newest capacity() of them with their ids; the next push() gets the id after the last. An
    /// empty span leaves the history as it is. Where ids are not consecutive, only the samples
    /// after the last gap are kept (ids are what /events resumes by: they may not skip).
    void restore(std::span<const Sample> samples) {
        if (samples.empty() || samples.back().id == 0) return;
        std::size_t first = samples.size() - 1;
        while (first > 0 && samples.size() - first < m_ring.size() && samples[first - 1].id + 1 == samples[first].id) {
            --first;
        }
        m_size = 0;
        m_last_id = samples[first].id - 1;
        for (std::size_t i = first; i < samples.size(); ++i) push(samples[i].reading);
    }

    /// The span of ids kept (with insert(), some of them may be missing).
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
    [[nodiscard]] std::size_t capacity() const noexcept { return m_ring.size(); }
    [[nodiscard]] std::uint64_t last_id() const noexcept { return m_last_id; }
    [[nodiscard]] bool empty() const noexcept { return m_size == 0; }
    /// The newest sample. Precondition: !empty().
    [[nodiscard]] const Sample& latest() const noexcept { return m_ring[(m_last_id - 1) % m_ring.size()]; }

    /// Calls fn(const Sample&) for every stored sample with id > after, oldest first.
    template <class Fn>
    void for_each_after(std::uint64_t after, Fn fn) const {
        const std::uint64_t first = m_last_id - m_size + 1;
        for (std::uint64_t id = after + 1 > first ? after + 1 : first; id <= m_last_id; ++id) {
            const Sample& sample = m_ring[(id - 1) % m_ring.size()];
            if (sample.id == id) fn(sample);  // not a reading skipped by insert()
        }
    }

    /// The stored sample with this id, or nullptr if it is not (or no longer) kept.
    [[nodiscard]] const Sample* find(std::uint64_t id) const noexcept {
        if (id == 0 || id > m_last_id || id + m_size <= m_last_id) return nullptr;
        const Sample& sample = m_ring[(id - 1) % m_ring.size()];
        return sample.id == id ? &sample : nullptr;
    }

private:
    std::vector<Sample> m_ring;
    std::uint64_t m_last_id = 0;
    std::size_t m_size = 0;
};

}  // namespace sensor_server
