#include <asyncio/core/config.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/thread_safe_flag.hpp>

namespace asyncio {

// In IRAM on ESP-IDF (ASYNCIO_ISR_ATTR), as is all it calls: an interrupt handler runs it.
ASYNCIO_ISR_ATTR void ThreadSafeFlag::set() noexcept {
    m_flag.store(true, std::memory_order_seq_cst);
    // Join the current epoch (again, should a waiter have ended it meanwhile). All seq_cst: a
    // stop_waiting() either sees this call counted and waits for it, or this call sees the
    // m_loop it stored (nullptr, or the loop of a newer waiter, which will wait for it).
    unsigned epoch = m_epoch.load(std::memory_order_seq_cst);
    for (;;) {
        m_setters[epoch & 1U].fetch_add(1, std::memory_order_seq_cst);
        const unsigned now = m_epoch.load(std::memory_order_seq_cst);
        if (now == epoch) break;
        m_setters[epoch & 1U].fetch_sub(1, std::memory_order_seq_cst);
        epoch = now;
    }
    if (EventLoop* loop = m_loop.load(std::memory_order_seq_cst)) loop->notify_threadsafe();
    m_setters[epoch & 1U].fetch_sub(1, std::memory_order_release);
}

bool ThreadSafeFlag::WaitOperation::await_suspend(std::coroutine_handle<> handle) {
    if (m_flag.m_waiter != nullptr) detail::fail<InvalidStateError>("ThreadSafeFlag: another task is already waiting");
    if (!begin_wait(handle)) return false;
    EventLoop& loop = *running_loop();
    m_flag.m_waiter = this;
    m_flag.m_loop.store(&loop, std::memory_order_seq_cst);
    loop.watch_external(*this);
    // A set() between await_ready and the store above did not see the loop: look again
    // (seq_cst on both sides: either set() sees the loop, or this sees the flag).
    if (m_flag.m_flag.exchange(false, std::memory_order_seq_cst)) {
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
    m_flag.m_loop.store(nullptr, std::memory_order_seq_cst);
    // A set() on another thread may still be notifying the loop (a few instructions): let those
    // of the ending epoch finish before the loop can go away. On a single core an interrupt
    // handler has always finished by now, and this does not spin at all.
    const unsigned ending = m_flag.m_epoch.fetch_add(1, std::memory_order_seq_cst);
    while (m_flag.m_setters[ending & 1U].load(std::memory_order_seq_cst) != 0) {
    }
    static_cast<detail::ListHook&>(*this).unlink();
}

}  // namespace asyncio
