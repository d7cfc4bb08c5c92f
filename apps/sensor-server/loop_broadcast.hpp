#pragma once
// LoopBroadcast<T>: one event loop publishes, every other loop (each on a thread of its own)
// receives every value, through a bounded mailbox per receiving loop. The cross-loop Topic of
// sensor-server --workers: the first loop samples the sensor, the others keep copies of the
// readings. Linux part: it needs threads.
//
// publish() never waits for a receiver: it takes each mailbox's lock only to append a value
// (dropping the oldest when the mailbox is full, as a Topic subscriber drops its oldest), then
// wakes the receiving loop through its ThreadSafeFlag, which the loop's platform notices at once
// (an eventfd on Linux). A receiver takes everything waiting in one go under the same lock. So
// the lock is held for a push or a swap, once per value and loop, never across a wait, and never
// on a request's path: each loop serves from its own copy.

#include <asyncio/core/task.hpp>
#include <asyncio/core/thread_safe_flag.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace sensor_server {

template <class T>
class LoopBroadcast {
public:
    /// Mailboxes for `receivers` loops, each holding at most `backlog` values (at least 1).
    LoopBroadcast(std::size_t receivers, std::size_t backlog) : m_backlog(backlog == 0 ? 1 : backlog) {
        for (std::size_t i = 0; i < receivers; ++i) m_mailboxes.push_back(std::make_unique<Mailbox>());
    }
    LoopBroadcast(const LoopBroadcast&) = delete;
    LoopBroadcast& operator=(const LoopBroadcast&) = delete;

    /// Appends `value` to every mailbox and wakes its loop. From the publishing loop's thread
    /// (any thread would do); never waits for a receiver.
    void publish(const T& value) {
        for (auto& mailbox : m_mailboxes) {
            {
                const std::lock_guard lock(mailbox->mutex);
                if (mailbox->closed) continue;
                if (mailbox->values.size() >= m_backlog) {
                    mailbox->values.pop_front();
                    ++mailbox->dropped;
                }
                mailbox->values.push_back(value);
            }
            mailbox->ready.set();
        }
    }

    /// Ends the broadcast: each receiver gets what its mailbox still holds, then an empty batch.
    /// From any thread.
    void close() {
        for (auto& mailbox : m_mailboxes) {
            {
                const std::lock_guard lock(mailbox->mutex);
                mailbox->closed = true;
            }
            mailbox->ready.set();
        }
    }

    /// Suspends when: mailbox `receiver` is empty and open. Resumed by: publish() or close(),
    /// from the publishing thread, through the mailbox's ThreadSafeFlag (the loop sleeps in the
    /// OS meanwhile). Returns: every value waiting, oldest first; an empty vector once the
    /// broadcast is closed and the mailbox drained. One task at a time per receiver, on one loop.
    /// Cancellation: nothing is taken; CancelledError.
    /// Lifetime: the LoopBroadcast must outlive the wait.
    [[nodiscard]] asyncio::Task<std::vector<T>> receive(std::size_t receiver) {
        Mailbox& mailbox = *m_mailboxes.at(receiver);
        for (;;) {
            std::vector<T> batch;
            bool closed = false;
            {
                const std::lock_guard lock(mailbox.mutex);
                batch.assign(mailbox.values.begin(), mailbox.values.end());
                mailbox.values.clear();
                closed = mailbox.closed;
            }
            if (!batch.empty() || closed) co_return batch;
            co_await mailbox.ready.wait();
        }
    }

    /// Values receiver `receiver` lost because its loop fell `backlog` behind. From any thread.
    [[nodiscard]] std::uint64_t dropped(std::size_t receiver) const {
        const Mailbox& mailbox = *m_mailboxes.at(receiver);
        const std::lock_guard lock(mailbox.mutex);
        return mailbox.dropped;
    }

    /// How many receiving loops there are.
    [[nodiscard]] std::size_t receivers() const noexcept { return m_mailboxes.size(); }

private:
    struct Mailbox {
        mutable std::mutex mutex;
        std::deque<T> values;       ///< guarded by mutex
        std::uint64_t dropped = 0;  ///< guarded by mutex
        bool closed = false;        ///< guarded by mutex
        asyncio::ThreadSafeFlag ready;
    };

    std::size_t m_backlog;
    std::vector<std::unique_ptr<Mailbox>> m_mailboxes;
};

}  // namespace sensor_server
