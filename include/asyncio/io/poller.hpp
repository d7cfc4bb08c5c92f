#pragma once
// The poller: the Platform of a hosted system. It sleeps in epoll_wait() or poll() and wakes the
// tasks whose sockets became ready. One interface, two back-ends with the same member names
// (Asio's reactors do the same); the back-end is chosen once, at build time
// (CMake option ASYNCIO_POLLER=epoll|poll).
//
// Readiness is remembered per descriptor: an operation first tries the system call, and waits
// only after EAGAIN. With epoll a descriptor is registered once, edge-triggered, and never
// re-armed, so a request/response costs no epoll_ctl at all.

#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/platform.hpp>

#include <coroutine>
#include <cstdint>

namespace asyncio::detail {

class IoHandle;
class Poller;

/// A task waiting until a descriptor is readable or writable.
/// Cancellation: unregisters; the co_await throws CancelledError.
class IoWait final : Wait {
public:
    IoWait(IoHandle& handle, bool for_write) noexcept : m_handle(handle), m_for_write(for_write) {}
    IoWait(const IoWait&) = delete;
    IoWait& operator=(const IoWait&) = delete;
    ~IoWait();

    bool await_ready() const noexcept;
    bool await_suspend(std::coroutine_handle<> handle) noexcept;
    void await_resume() const { end_wait(); }

private:
    friend class IoHandle;
class Poller;
    bool cancel_wait() noexcept override;
    void ready() noexcept { wake(); }

    IoHandle& m_handle;
    bool m_for_write;
};

/// A descriptor known to the poller, with what is known of its readiness and who waits on it.
/// At most one reader and one writer wait at a time (a Stream serialises its operations).
class IoHandle : public ListHook {
public:
    explicit IoHandle(int fd);
    IoHandle(const IoHandle&) = delete;
    IoHandle& operator=(const IoHandle&) = delete;
    ~IoHandle();

    [[nodiscard]] int fd() const noexcept { return m_fd; }
    /// The last system call said EAGAIN: wait for the poller before trying again.
    void not_readable() noexcept { m_readable = false; }
    void not_writable() noexcept { m_writable = false; }
    [[nodiscard]] bool readable() const noexcept { return m_readable; }
    [[nodiscard]] bool writable() const noexcept { return m_writable; }

    /// `co_await handle.wait_readable()`: returns at once if the descriptor may be readable.
    [[nodiscard]] IoWait wait_readable() noexcept { return IoWait(*this, false); }
    [[nodiscard]] IoWait wait_writable() noexcept { return IoWait(*this, true); }

    /// Stops watching the descriptor before it is closed (a reused descriptor number must not
    /// be mistaken for this one); wakes the waiters so they see the closed stream.
    void release_descriptor() noexcept;

    /// The poller saw readiness (or an error/hang-up, which makes both directions "ready" so
    /// the next system call reports it).
    void on_events(bool readable, bool writable) noexcept;

    [[nodiscard]] bool has_waiters() const noexcept { return m_reader != nullptr || m_writer != nullptr; }
    [[nodiscard]] bool wants_read() const noexcept { return m_reader != nullptr; }
    [[nodiscard]] bool wants_write() const noexcept { return m_writer != nullptr; }

private:
    friend class IoWait;
    class Poller& m_poller;
    int m_fd;
    bool m_readable = true;  // unknown at first: try the system call
    bool m_writable = true;
    IoWait* m_reader = nullptr;
    IoWait* m_writer = nullptr;
};

/// The back-end interface. Member names are shared by EpollPoller and PollPoller.
class Poller : public Platform {
public:
    /// Starts watching `handle` (called once, when the socket is created).
    virtual void register_descriptor(IoHandle& handle) = 0;
    /// Stops watching it (before the descriptor is closed).
    virtual void deregister_descriptor(IoHandle& handle) noexcept = 0;
    /// A task starts or stops waiting on `handle` (level-triggered back-ends track this).
    virtual void update_interest(IoHandle& handle) noexcept = 0;

    /// The poller of the running loop; InvalidStateError if that loop runs on another platform
    /// (a VirtualClock, say).
    static Poller& current();
};

}  // namespace asyncio::detail
