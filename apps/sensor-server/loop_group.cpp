#include "loop_group.hpp"

#include <asyncio/core/errors.hpp>
#include <asyncio/core/thread_safe_flag.hpp>
#include <asyncio/core/timeout.hpp>

#include <optional>
#include <utility>

namespace sensor_server {

/// What gather() shares with the loops it asked: each answers into its slot from its own thread.
struct LoopGroup::Answers {
    std::mutex mutex;
    std::vector<std::optional<LoopFigures>> figures;  ///< guarded by mutex
    std::size_t waiting = 0;                          ///< guarded by mutex
    asyncio::ThreadSafeFlag all_in;                   ///< set by the last answer
};

LoopGroup::LoopGroup(std::size_t loops) {
    for (std::size_t i = 0; i < loops; ++i) m_members.push_back(std::make_unique<Member>());
}

void LoopGroup::attach(std::size_t index, asyncio::EventLoop& loop, Report report, std::function<void()> stop) {
    Member& member = *m_members.at(index);
    const std::lock_guard lock(member.mutex);
    member.loop = &loop;
    member.report = std::move(report);
    member.stop = std::move(stop);
    // A shutdown that came while this loop was starting: it stops as soon as it runs on.
    if (member.stop_requested) loop.call_soon(member.stop);
}

void LoopGroup::detach(std::size_t index) {
    Member& member = *m_members.at(index);
    const std::lock_guard lock(member.mutex);
    member.loop = nullptr;
    member.report = nullptr;
    member.stop = nullptr;
}

bool LoopGroup::post(std::size_t index, std::function<void(Member&)> work) {
    Member& member = *m_members.at(index);
    const std::lock_guard lock(member.mutex);
    if (member.loop == nullptr) return false;
    // The loop cannot go meanwhile: it detaches (under this lock) before it is destroyed. The
    // work runs on its thread later, and finds the member detached if it stopped meanwhile.
    member.loop->call_soon_threadsafe([&member, work = std::move(work)] { work(member); });
    return true;
}

void LoopGroup::stop_all() {
    for (std::size_t i = 0; i < m_members.size(); ++i) {
        Member& member = *m_members[i];
        {
            const std::lock_guard lock(member.mutex);
            if (member.stop_requested) continue;
            member.stop_requested = true;
        }
        (void)post(i, [](Member& self) {
            std::function<void()> stop;
            {
                const std::lock_guard lock(self.mutex);
                stop = self.stop;
            }
            if (stop) stop();  // outside the lock: it may detach
        });
    }
}

asyncio::Task<std::vector<LoopFigures>> LoopGroup::gather(std::size_t self, bool with_tasks,
                                                          std::chrono::milliseconds patience) {
    auto answers = std::make_shared<Answers>();
    answers->figures.resize(m_members.size());
    for (std::size_t i = 0; i < m_members.size(); ++i) {
        if (i == self) continue;
        {
            const std::lock_guard lock(answers->mutex);
            ++answers->waiting;
        }
        const bool asked = post(i, [answers, with_tasks, i](Member& member) {
            std::optional<LoopFigures> figures;
            {
                const std::lock_guard lock(member.mutex);
                if (member.report) figures = member.report(with_tasks);
            }
            bool last = false;
            {
                const std::lock_guard lock(answers->mutex);
                answers->figures[i] = std::move(figures);
                last = --answers->waiting == 0;
            }
            if (last) answers->all_in.set();
        });
        if (!asked) {
            const std::lock_guard lock(answers->mutex);
            --answers->waiting;
        }
    }
    asyncio::EventLoop& loop = asyncio::get_event_loop();
    const asyncio::TimePoint deadline = loop.time() + patience;
    for (;;) {
        {
            const std::lock_guard lock(answers->mutex);
            if (answers->waiting == 0) break;
        }
        const asyncio::Duration left = deadline - loop.time();
        if (left <= asyncio::Duration::zero()) break;
        try {
            co_await asyncio::wait_for(answers->all_in.wait(), left);
        } catch (const asyncio::TimeoutError&) {
            break;  // a loop too busy to answer in time: reported without it
        }
    }
    std::vector<LoopFigures> gathered;
    const std::lock_guard lock(answers->mutex);
    for (std::optional<LoopFigures>& figures : answers->figures) {
        if (figures) gathered.push_back(std::move(*figures));
    }
    co_return gathered;
}

}  // namespace sensor_server
