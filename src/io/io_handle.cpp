#include <asyncio/io/poller.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/loop.hpp>

#include <utility>

namespace asyncio::detail {

IoHandle::IoHandle(int fd) : m_poller(Poller::current()), m_fd(fd) { m_poller.register_descriptor(*this); }

IoHandle::~IoHandle() { release_descriptor(); }

void IoHandle::release_descriptor() noexcept {
    if (m_fd < 0) return;
    // Wake anybody still waiting so that it sees the closed descriptor instead of hanging.
    on_events(true, true);
    m_poller.deregister_descriptor(*this);
    m_fd = -1;
}

void IoHandle::on_events(bool readable, bool writable) noexcept {
    if (readable) {
        m_readable = true;
        if (IoWait* reader = std::exchange(m_reader, nullptr)) reader->ready();
    }
    if (writable) {
        m_writable = true;
        if (IoWait* writer = std::exchange(m_writer, nullptr)) writer->ready();
    }
    m_poller.update_interest(*this);
}

IoWait::~IoWait() { cancel_wait(); }

bool IoWait::await_ready() const noexcept { return m_for_write ? m_handle.m_writable : m_handle.m_readable; }

bool IoWait::await_suspend(std::coroutine_handle<> handle) noexcept {
    if (!begin_wait(handle)) return false;
    (m_for_write ? m_handle.m_writer : m_handle.m_reader) = this;
    m_handle.m_poller.update_interest(m_handle);
    return true;
}

bool IoWait::cancel_wait() noexcept {
    IoWait*& slot = m_for_write ? m_handle.m_writer : m_handle.m_reader;
    if (slot == this) {
        slot = nullptr;
        m_handle.m_poller.update_interest(m_handle);
    }
    return true;
}

Poller& Poller::current() {
    auto* poller = dynamic_cast<Poller*>(&get_event_loop().platform());
    if (poller == nullptr) throw InvalidStateError("sockets need a loop running on the OS poller");
    return *poller;
}

}  // namespace asyncio::detail
