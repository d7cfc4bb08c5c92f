#include <asyncio/io/poller.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/io/detail/socket_ops.hpp>

#include <cerrno>
#include <utility>

namespace asyncio::detail {

IoHandle::IoHandle(int fd) : m_poller(&Poller::current()), m_fd(fd) { m_poller->register_descriptor(*this); }

IoHandle::~IoHandle() { release_descriptor(); }

void IoHandle::release_descriptor() noexcept {
    if (m_fd < 0) return;
    // Wake anybody still waiting so that it sees the closed descriptor instead of hanging.
    wake_all(m_readers);
    wake_all(m_writers);
    if (m_poller != nullptr) m_poller->deregister_descriptor(*this);
    m_fd = -1;
}

void IoHandle::wake_all(IntrusiveList<IoWait>& waiters) noexcept {
    while (!waiters.empty()) waiters.pop_front().ready();
}

void IoHandle::on_events(bool readable, bool writable, bool read_closed, bool write_closed) noexcept {
    m_read_closed = m_read_closed || read_closed;
    m_write_closed = m_write_closed || write_closed;
    if (readable) {
        m_readable = true;
        wake_all(m_readers);
    }
    if (writable) {
        m_writable = true;
        wake_all(m_writers);
    }
    interest_changed();
}

void IoHandle::interest_changed() noexcept {
    if (m_poller != nullptr) m_poller->update_interest(*this);
}

IoWait::~IoWait() {
    // An IoWait that is not linked may outlive its handle (it was woken by the handle's release):
    // only a linked one touches the handle.
    if (linked()) cancel_wait();
}

bool IoWait::await_ready() const noexcept {
    return m_handle.m_fd < 0 || (m_for_write ? m_handle.m_writable : m_handle.m_readable);
}

bool IoWait::await_suspend(std::coroutine_handle<> handle) noexcept {
    if (!begin_wait(handle)) return false;
    (m_for_write ? m_handle.m_writers : m_handle.m_readers).push_back(*this);
    m_handle.interest_changed();
    return true;
}

detail::CancelAction IoWait::cancel_wait() noexcept {
    if (linked()) {
        unlink();
        m_handle.interest_changed();
    }
    return detail::CancelAction::wake_now;
}

bool IoHandle::sends_in_background() const noexcept { return m_poller != nullptr && m_poller->sends_in_background(); }
bool IoHandle::receives_in_background() const noexcept {
    return m_poller != nullptr && m_poller->receives_in_background();
}

// A released handle has no slot in its poller any more (another handle may have it): nothing is
// in flight for it, whatever the back-end still does with its last buffer.
int IoHandle::send_in_background(std::string& data, std::size_t offset) noexcept {
    return m_poller == nullptr || m_fd < 0 ? EBADF : m_poller->send_in_background(*this, data, offset);
}

BackgroundSend IoHandle::background_send() const noexcept {
    return m_poller == nullptr || m_fd < 0 ? BackgroundSend{} : m_poller->background_send(*this);
}

IoResult IoHandle::accept(Address* peer) noexcept {
    return m_poller == nullptr || m_fd < 0 ? IoResult{0, EBADF} : m_poller->accept(*this, peer);
}

IoResult IoHandle::receive(char* buffer, std::size_t size) noexcept {
    if (m_fd < 0) return {0, EBADF};
    return m_poller == nullptr ? detail::receive(m_fd, buffer, size) : m_poller->receive(*this, buffer, size);
}

int Poller::send_in_background(IoHandle&, std::string&, std::size_t) noexcept { return EOPNOTSUPP; }
BackgroundSend Poller::background_send(const IoHandle&) const noexcept { return {}; }
IoResult Poller::accept(IoHandle& listener, Address* peer) noexcept { return detail::accept(listener.fd(), peer); }
IoResult Poller::receive(IoHandle& handle, char* buffer, std::size_t size) noexcept {
    return detail::receive(handle.fd(), buffer, size);
}

Poller& Poller::current() {
    Poller* poller = get_event_loop().platform().as_poller();
    if (poller == nullptr) throw InvalidStateError("sockets need a loop running on the OS poller");
    return *poller;
}

}  // namespace asyncio::detail
