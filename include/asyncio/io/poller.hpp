#pragma once
// The poller: the Platform of a hosted system. It sleeps in epoll_wait(), io_uring_enter() or
// poll() and wakes the tasks whose sockets became ready. One interface, several back-ends with the
// same member names (Asio's reactors do the same): epoll and io_uring (Linux), poll() (portable)
// and lwIP's raw API (boards). The back-end is chosen at build time (CMake option
// ASYNCIO_POLLER=epoll|uring|poll); a Linux build with liburing has both epoll and io_uring, and
// the environment variable ASYNCIO_POLLER=epoll|uring, read when a loop starts, picks one. Where
// the kernel refuses io_uring, the loop runs on epoll (src/io/default_platform_linux.cpp).
//
// Readiness is remembered per descriptor: an operation first tries the system call, and waits
// only after EAGAIN. With epoll a descriptor is registered once, edge-triggered, and never
// re-armed, so a request/response costs no epoll_ctl at all.

#include <asyncio/core/detail/intrusive_list.hpp>
#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/platform.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace asyncio {
class Address;
}

namespace asyncio::detail {

class IoHandle;
class Poller;
struct IoResult;  // <asyncio/io/detail/socket_ops.hpp>

/// The state of the buffer a back-end sends in the background (Poller::send_in_background()).
struct BackgroundSend {
    std::size_t unsent = 0;  ///< bytes handed over and not yet sent
    int error = 0;           ///< the errno of a send that failed: the connection is broken
};

/// A task waiting until a descriptor is readable or writable.
/// Suspends when: the handle's last system call in that direction said EAGAIN (see IoHandle).
/// Resumed by: the poller, when the descriptor becomes ready or fails, or by the handle's
/// release_descriptor(); every task waiting on that direction is woken, oldest first.
/// Returns: void; the caller retries its system call. A released handle (fd() < 0) never
/// suspends: the caller sees the closed state.
/// Cancellation: unlinks from the handle (and from the poller's interest); throws CancelledError.
/// Lifetime: the handle must outlive the wait while it waits.
class [[nodiscard]] IoWait final : Wait, public ListHook {
public:
    IoWait(IoHandle& handle, bool for_write) noexcept : m_handle(handle), m_for_write(for_write) {}
    /// Movable before it waits only (wait_for() takes its awaitable by value).
    IoWait(IoWait&& other) noexcept
        : Wait(other), ListHook(std::move(other)), m_handle(other.m_handle), m_for_write(other.m_for_write) {}
    IoWait& operator=(const IoWait&) = delete;
    ~IoWait();

    bool await_ready() const noexcept;
    bool await_suspend(std::coroutine_handle<> handle) noexcept;
    void await_resume() const { end_wait(); }

private:
    friend class IoHandle;
    detail::CancelAction cancel_wait() noexcept override;
    void ready() noexcept { wake(); }

    IoHandle& m_handle;
    bool m_for_write;
};

struct PollerWaitingTag;   ///< hook of the poller's list of handles somebody waits on
struct PollerRegistryTag;  ///< hook of the poller's list of every handle it watches

/// A descriptor known to the poller, with what is known of its readiness and who waits on it.
/// Any number of tasks may wait in each direction (a drain() and a background close flush, say).
///
/// Readiness flags: true means "try the system call"; false means "the last one said EAGAIN (or
/// a short read drained the socket): wait for the poller". Once the peer has hung up, reading
/// stays "ready" (an edge-triggered poller reports a hang-up only once, and the next receive must
/// see the EOF even if a short read came first); the same holds for writing after a full hang-up.
class IoHandle : public TaggedHook<PollerWaitingTag>, public TaggedHook<PollerRegistryTag> {
public:
    explicit IoHandle(int fd);
    IoHandle(const IoHandle&) = delete;
    IoHandle& operator=(const IoHandle&) = delete;
    ~IoHandle();

    [[nodiscard]] int fd() const noexcept { return m_fd; }
    /// The last system call said EAGAIN: wait for the poller before trying again. (While the
    /// back-end receives in the background, even a hung-up socket waits: the end of the stream
    /// comes from the back-end, after the data it has taken.)
    void not_readable() noexcept { m_readable = m_read_closed && !m_reads_in_background; }
    void not_writable() noexcept { m_writable = m_write_closed; }
    [[nodiscard]] bool readable() const noexcept { return m_readable; }
    [[nodiscard]] bool writable() const noexcept { return m_writable; }

    /// `co_await handle.wait_readable()`: returns at once if the descriptor may be readable.
    [[nodiscard]] IoWait wait_readable() noexcept { return IoWait(*this, false); }
    [[nodiscard]] IoWait wait_writable() noexcept { return IoWait(*this, true); }

    /// Stops watching the descriptor before it is closed (a reused descriptor number must not
    /// be mistaken for this one); wakes the waiters so they see the closed stream. The caller
    /// closes the descriptor; fd() is -1 afterwards.
    void release_descriptor() noexcept;

    /// The poller saw readiness (an error makes both directions ready so that the next system
    /// call reports it). `read_closed`: the peer will send nothing more (RDHUP/HUP);
    /// `write_closed`: nothing can be sent any more (HUP). Both are remembered (see above).
    void on_events(bool readable, bool writable, bool read_closed = false, bool write_closed = false) noexcept;

    [[nodiscard]] bool has_waiters() const noexcept { return !m_readers.empty() || !m_writers.empty(); }
    [[nodiscard]] bool wants_read() const noexcept { return !m_readers.empty(); }
    [[nodiscard]] bool wants_write() const noexcept { return !m_writers.empty(); }

    /// Whether the back-end sends in the background (io_uring): see Poller::send_in_background().
    [[nodiscard]] bool sends_in_background() const noexcept;
    /// Whether the back-end receives in the background (io_uring): see Poller::receive(). A short
    /// receive then says nothing of the socket's state.
    [[nodiscard]] bool receives_in_background() const noexcept;
    /// Hands `data` from `offset` on to the back-end to send: 0 (taken), EAGAIN (the previous
    /// buffer is still being sent: nothing taken, wait_writable() until it is), or the errno of
    /// a background send that failed. Only when sends_in_background().
    int send_in_background(std::string& data, std::size_t offset) noexcept;
    /// What became of the buffers handed over (all zero when nothing was).
    [[nodiscard]] BackgroundSend background_send() const noexcept;
    /// The next wait_writable() waits for the back-end to report the buffer in flight sent (or
    /// failed), even after a hang-up, which otherwise keeps the handle writable.
    void not_writable_until_sent() noexcept { m_writable = false; }

    /// Accepts the next connection waiting on this listening socket: Poller::accept(), or EBADF
    /// once the handle is released or its poller gone.
    IoResult accept(Address* peer) noexcept;
    /// Receives up to `size` bytes: Poller::receive() (recv() once the poller is gone), or EBADF
    /// once the handle is released. Every receive of a connected socket goes through here.
    IoResult receive(char* buffer, std::size_t size) noexcept;

    /// The poller is destroyed first (a Stream kept after its loop ended): forget it, so the
    /// handle's destructor only closes what it owns.
    void detach_poller() noexcept { m_poller = nullptr; }
    [[nodiscard]] Poller* poller() const noexcept { return m_poller; }

private:
    friend class IoWait;
    friend class Poller;
    void interest_changed() noexcept;
    static void wake_all(IntrusiveList<IoWait>& waiters) noexcept;

    Poller* m_poller;
    int m_fd;
    bool m_readable = true;  // unknown at first: try the system call
    bool m_writable = true;
    bool m_read_closed = false;   ///< the peer hung up its sending side (sticky)
    bool m_write_closed = false;  ///< the connection is gone both ways (sticky)
    bool m_reads_in_background = false;  ///< the back-end receives for it (Poller::receive())
    std::uint32_t m_backend_slot = 0;  ///< the back-end's own index of this handle (io_uring's)
    IntrusiveList<IoWait> m_readers;
    IntrusiveList<IoWait> m_writers;
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
    /// (a VirtualClock, say). Asks Platform::as_poller(): no RTTI needed.
    static Poller& current();

    /// The back-end's name: "epoll", "uring", "poll" or "lwip" (logs, tests, /debug pages).
    [[nodiscard]] virtual const char* name() const noexcept = 0;

    /// True for a back-end that sends without asking for readiness first (io_uring): a stream
    /// without a transport then hands its whole write buffer over instead of calling send(), and
    /// the back-end sends it with the next wait(), in one system call for every socket of the
    /// loop pass. One buffer per handle is in flight at a time, so bytes keep their order.
    [[nodiscard]] virtual bool sends_in_background() const noexcept { return false; }
    /// Takes `data` (moved from) and sends it from `offset` on, in the background. Returns 0;
    /// EAGAIN while the handle's previous buffer is in flight (nothing is taken; the handle is
    /// reported writable once it has gone); or the errno of a background send that failed
    /// (nothing is taken: the connection is broken). Never called unless sends_in_background().
    virtual int send_in_background(IoHandle& handle, std::string& data, std::size_t offset) noexcept;
    /// The bytes of `handle`'s buffer still in flight, and the error of a send that failed.
    [[nodiscard]] virtual BackgroundSend background_send(const IoHandle& handle) const noexcept;

    /// Accepts the next connection waiting on the listening `listener`: its descriptor
    /// (non-blocking, close-on-exec) and, in `peer`, its address; or the errno (EAGAIN: none is
    /// waiting, wait until the listener is readable). accept() by default; io_uring accepts in
    /// the background (a multishot accept) and hands out what the kernel took.
    virtual IoResult accept(IoHandle& listener, Address* peer) noexcept;
    /// Receives up to `size` bytes of `handle`'s socket into `buffer`: the count (0: the peer
    /// closed), or the errno (EAGAIN: nothing yet, wait until readable). recv() by default;
    /// io_uring receives in the background (a multishot receive into a ring of buffers the
    /// kernel fills) and copies out what it took, in order.
    virtual IoResult receive(IoHandle& handle, char* buffer, std::size_t size) noexcept;
    [[nodiscard]] virtual bool receives_in_background() const noexcept { return false; }

    Poller* as_poller() noexcept final { return this; }

protected:
    using WaitingList = IntrusiveList<IoHandle, TaggedHook<PollerWaitingTag>>;
    using RegistryList = IntrusiveList<IoHandle, TaggedHook<PollerRegistryTag>>;
    static bool is_waiting(IoHandle& handle) noexcept {
        return static_cast<TaggedHook<PollerWaitingTag>&>(handle).linked();
    }
    static void stop_waiting(IoHandle& handle) noexcept { static_cast<TaggedHook<PollerWaitingTag>&>(handle).unlink(); }
    static void forget(IoHandle& handle) noexcept { static_cast<TaggedHook<PollerRegistryTag>&>(handle).unlink(); }
    /// A back-end that keeps its handles in a table of its own stores the index here.
    static std::uint32_t slot_of(const IoHandle& handle) noexcept { return handle.m_backend_slot; }
    static void set_slot(IoHandle& handle, std::uint32_t slot) noexcept { handle.m_backend_slot = slot; }
    /// The back-end starts or stops receiving for `handle` in the background.
    static void set_reads_in_background(IoHandle& handle, bool on) noexcept { handle.m_reads_in_background = on; }
    /// For back-ends that watch only the handles somebody waits on (update_interest()): keeps
    /// `handle` in `waiting` exactly while a task waits on it.
    static void track_waiting(WaitingList& waiting, IoHandle& handle) noexcept {
        if (!handle.has_waiters()) {
            stop_waiting(handle);
        } else if (!is_waiting(handle)) {
            waiting.push_back(handle);
        }
    }
    /// In a back-end's destructor: every handle still registered forgets the poller.
    static void detach_all(RegistryList& handles) noexcept {
        while (!handles.empty()) handles.pop_front().detach_poller();
    }
};

}  // namespace asyncio::detail
