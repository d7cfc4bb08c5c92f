#include <asyncio/core/errors.hpp>
#include <asyncio/core/thread_safe_flag.hpp>

namespace asyncio {

void ThreadSafeFlag::set() noexcept {
    m_flag.store(true, std::memory_order_release);
    if (EventLoop* loop = m_loop.load(std::memory_order_acquire)) loop->notify_threadsafe();
}

bool ThreadSafeFlag::WaitOperation::await_suspend(std::coroutine_handle<> handle) {
    if (m_flag.m_waiter != nullptr) throw InvalidStateError("ThreadSafeFlag: another task is already waiting");
    if (!begin_wait(handle)) return false;
    EventLoop& loop = *running_loop();
    m_flag.m_waiter = this;
    m_flag.m_loop.store(&loop, std::memory_order_release);
    loop.watch_external(*this);
    // A set() between await_ready and the store above did not see the loop: look again.
    if (m_flag.m_flag.exchange(false, std::memory_order_acq_rel)) {
        stop_waiting();
        return false;
    }
    return true;
}

void ThreadSafeFlag::WaitOperation::poll() noexcept {
    if (!m_flag.m_flag.exchange(false, std::memory_order_acq_rel)) return;
    stop_waiting();
    wake();
}

void ThreadSafeFlag::WaitOperation::stop_waiting() noexcept {
    if (m_flag.m_waiter != this) return;
    m_flag.m_waiter = nullptr;
    m_flag.m_loop.store(nullptr, std::memory_order_release);
    static_cast<detail::ListHook&>(*this).unlink();
}

}  // namespace asyncio
