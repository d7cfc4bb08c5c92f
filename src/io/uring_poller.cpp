// The io_uring back-end (Linux 5.13 or later, liburing). Readiness as the epoll back-end learns
// it, with one multishot poll per descriptor instead of an epoll registration; what io_uring adds
// is batching: registrations and re-arms are queued in the submission ring and go to the kernel
// with the wait itself, so a loop pass costs one io_uring_enter however many sockets were opened
// in it, where epoll pays one epoll_ctl each.
//
// Listeners accept in the background: a multishot accept per listening socket takes each
// connection as it arrives, and the server collects the descriptors with accept(), so a new
// connection costs no accept4() of its own (the peer's address, which a multishot accept cannot
// report per connection, is asked with getpeername() instead).
//
// Sends go without a readiness round-trip: a stream hands its whole write buffer over
// (send_in_background()), and the send is queued with the rest of the pass, so a request costs
// its receive and a share of one io_uring_enter, where epoll pays a receive, a send and a share
// of epoll_wait.
//
// Connected sockets receive in the background: the first receive that finds a socket empty arms a
// multishot receive into a ring of buffers the kernel picks from (a provided-buffer ring, shared
// by the loop's sockets), and later receives copy out what the completions brought, in order,
// without a system call. A reader that falls behind stops its multishot receive once it holds
// kMostHeldBuffers, so that it cannot take the whole ring; when the ring is empty, sockets go
// back to recv() until a buffer is returned.
//
// Each socket is also entered in the ring's table of registered files (with the pass's other
// submissions), and its sends and re-armed polls name it by that index, so the kernel does not
// look the descriptor up and take a reference to its file for each one. The entry is removed
// before the socket is closed: a file the table holds stays open (no FIN, no freed port).
//
// A completion names its descriptor by a token (slot index and generation), not by the IoHandle's
// address: a poll's last completion can arrive after its handle is gone, and a new handle may have
// taken the same address by then. A slot is reused only after that last completion.
#include "edge_triggered_poller.hpp"

#include <asyncio/io/detail/buffer_pool.hpp>
#include <asyncio/io/detail/socket_ops.hpp>

#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <system_error>
#include <vector>

namespace asyncio::detail {

namespace {

[[noreturn]] void throw_code(int error, const char* what) {
    throw std::system_error(error, std::system_category(), what);
}

/// Submission entries: registrations and re-arms of one loop pass (more are submitted early).
constexpr unsigned kSubmissionEntries = 1024;
/// Completion entries: readiness events of one pass. More are kept by the kernel (NODROP) and
/// cost a second pass, not a lost event.
constexpr unsigned kCompletionEntries = 8192;

/// Set in a token's index half for the slot's send, its accept or an update of its registered
/// file (the poll's token has none of them).
constexpr std::uint64_t kSendBit = std::uint64_t{1} << 31;
constexpr std::uint64_t kAcceptBit = std::uint64_t{1} << 30;
constexpr std::uint64_t kFileBit = std::uint64_t{1} << 29;
constexpr std::uint64_t kReceiveBit = std::uint64_t{1} << 28;
constexpr std::uint64_t kIndexMask = kReceiveBit - 1;

/// The ring of receive buffers: kReceiveBuffers (a power of two) of kReceiveBufferSize bytes,
/// 1 MiB per loop, of which a socket holds at most kMostHeldBuffers at a time.
constexpr unsigned kReceiveBuffers = 64;
constexpr std::size_t kReceiveBufferSize = 16 * 1024;
constexpr std::size_t kMostHeldBuffers = 4;
constexpr std::uint16_t kReceiveBufferGroup = 0;

/// The most entries of the registered-file table (8 bytes of kernel memory each); the slots
/// beyond it, and every slot when the descriptor limit is lower, use plain descriptors.
constexpr unsigned kMostRegisteredFiles = 16384;

constexpr std::uint64_t kWakeupToken = ~std::uint64_t{0};
/// Completions nobody waits for: of poll removals, and of the start-up check's poll.
constexpr std::uint64_t kIgnoredToken = kWakeupToken - 1;

/// The ring, released however the constructor ends.
struct Ring {
    io_uring ring{};
    Ring() {
        io_uring_params params{};
        // No interrupt when a completion is ready: the loop collects it when it next asks. The
        // flag tells it (liburing's peek enters the kernel when it is set), so that a loop that
        // never sleeps (always a task ready, wait(0)) still sees its sockets.
        params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
        params.cq_entries = kCompletionEntries;
        int result = io_uring_queue_init_params(kSubmissionEntries, &ring, &params);
        if (result == -EINVAL) {  // before Linux 5.19: without COOP_TASKRUN
            params = {};
            params.flags = IORING_SETUP_CQSIZE;
            params.cq_entries = kCompletionEntries;
            result = io_uring_queue_init_params(kSubmissionEntries, &ring, &params);
        }
        if (result < 0) throw_code(-result, "io_uring_setup");
        // EXT_ARG: a wait with a time-out is one system call; NODROP: no completion is lost.
        if ((params.features & IORING_FEAT_EXT_ARG) == 0 || (params.features & IORING_FEAT_NODROP) == 0) {
            io_uring_queue_exit(&ring);
            throw_code(ENOSYS, "io_uring: the kernel is older than 5.11");
        }
    }
    ~Ring() { io_uring_queue_exit(&ring); }
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;
};

struct EventDescriptor {
    int fd;
    explicit EventDescriptor(int flags) : fd(eventfd(0, flags | EFD_CLOEXEC)) {
        if (fd < 0) throw_code(errno, "eventfd");
    }
    ~EventDescriptor() { close(fd); }
    EventDescriptor(const EventDescriptor&) = delete;
    EventDescriptor& operator=(const EventDescriptor&) = delete;
};

class UringPoller final : public EdgeTriggeredPoller {
public:
    UringPoller() {
        check_multishot_poll();
        register_file_table();
        register_receive_buffers();
        prepare(sqe_or_throw(), Op::arm_wakeup, 0);
    }
    ~UringPoller() override {
        detach_all(m_registered);
        cancel_sends_and_wait();
        for (Slot& slot : m_slots) close_unclaimed(slot);
    }

    const char* name() const noexcept override { return "uring"; }

    void wait(std::optional<Duration> timeout) override {
        if (!m_deferred.empty()) retry_deferred();
        io_uring_cqe* first = nullptr;
        int result = 0;
        if (timeout && *timeout <= Duration::zero()) {
            result = io_uring_submit(&m_ring.ring);  // no system call when nothing is queued
        } else {
            __kernel_timespec limit = to_timespec(timeout.value_or(Duration::zero()));
            result = io_uring_submit_and_wait_timeout(&m_ring.ring, &first, 1, timeout ? &limit : nullptr, nullptr);
        }
        if (result < 0 && result != -ETIME && result != -EINTR && result != -EBUSY && result != -EAGAIN) {
            throw_code(-result, "io_uring_enter");
        }
        reap_completions();
    }

    void wake() noexcept override {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto written = ::write(m_wakeup.fd, &one, sizeof one);
    }

    // Queued sends must reach the kernel even while no task waits for I/O (the loop polls
    // the platform only when this says something may come of it).
    bool has_pending_io() const noexcept override {
        return EdgeTriggeredPoller::has_pending_io() || io_uring_sq_ready(&m_ring.ring) > 0 || !m_deferred.empty();
    }

    void register_descriptor(IoHandle& handle) override {
        // Room for what this socket may defer or free later, so that nothing noexcept allocates
        // (its registration, poll, receive, their cancellations and its unregistration).
        m_deferred.reserve(m_deferred.size() + 5);
        m_free_slots.reserve(m_slots.size() + 1);
        const std::uint32_t index = take_slot();
        Slot& slot = m_slots[index];
        slot.handle = &handle;
        slot.send_error = 0;
        set_slot(handle, index);
        m_registered.push_back(handle);
        if (index < m_file_table_size) {
            slot.fd_to_register = handle.fd();
            ++slot.file_updates;
            queue(Op::register_file, index);
        }
        slot.armed = true;
        queue(Op::arm_poll, index);
    }

    void deregister_descriptor(IoHandle& handle) noexcept override {
        forget_handle(handle);
        const std::uint32_t index = slot_of(handle);
        Slot& slot = m_slots[index];
        slot.handle = nullptr;
        close_unclaimed(slot);
        drop_received(slot);
        if (slot.receiving) stop_receiving(index);
        if (slot.file_registered || slot.file_updates > 0) {
            slot.file_registered = false;
            ++slot.file_updates;
            queue(Op::unregister_file, index);  // submitted by release_socket(), before the close
        }
        if (slot.busy()) release_socket(index);
        else free_if_idle(index);
    }

    bool sends_in_background() const noexcept override { return true; }

    int send_in_background(IoHandle& handle, std::string& data, std::size_t offset) noexcept override {
        Slot& slot = m_slots[slot_of(handle)];
        if (slot.send_error != 0) return slot.send_error;
        if (slot.sending) return EAGAIN;
        slot.outgoing = std::move(data);
        slot.sent = offset;
        slot.sending = true;
        queue(Op::send, slot_of(handle));
        return 0;
    }

    BackgroundSend background_send(const IoHandle& handle) const noexcept override {
        const Slot& slot = m_slots[slot_of(handle)];
        return {slot.sending ? slot.outgoing.size() - slot.sent : 0, slot.send_error};
    }

    bool receives_in_background() const noexcept override { return m_receive_buffers.ring != nullptr; }

    /// What the multishot receive took, in order, then the error it ended with (once). A socket
    /// that receives nothing in the background (its first receive, or the multishot receive
    /// ended: end of stream, a slow reader, an empty ring) calls recv() itself, and starts (again)
    /// once recv() finds it empty.
    IoResult receive(IoHandle& handle, char* buffer, std::size_t size) noexcept override {
        const std::uint32_t index = slot_of(handle);
        Slot& slot = m_slots[index];
        if (!slot.received.empty()) return {static_cast<ssize_t>(copy_received(slot, buffer, size)), 0};
        if (slot.receive_error != 0) return {0, std::exchange(slot.receive_error, 0)};
        if (slot.receiving) return {0, EAGAIN};
        const IoResult result = detail::receive(handle.fd(), buffer, size);
        if (result.would_block() && receives_in_background() && m_multishot_receive && !m_receive_ring_empty) {
            slot.receiving = true;
            set_reads_in_background(handle, true);
            queue(Op::arm_receive, index);
        }
        return result;
    }

    /// What the background accept took, oldest first. A listener that accepts nothing in the
    /// background (its first call, or the kernel ended the multishot accept after an error such
    /// as EMFILE) calls accept() itself, which reports the matter as it stands, and starts (again)
    /// once that works or finds nobody waiting.
    IoResult accept(IoHandle& listener, Address* peer) noexcept override {
        const std::uint32_t index = slot_of(listener);
        Slot& slot = m_slots[index];
        if (!slot.accepted.empty()) {
            const int fd = slot.accepted.front();
            slot.accepted.erase(slot.accepted.begin());
            if (peer != nullptr) *peer = peer_address(fd);
            return {fd, 0};
        }
        if (slot.accepting) return {0, EAGAIN};
        const IoResult result = detail::accept(listener.fd(), peer);
        if ((result.error == 0 || result.would_block()) && m_multishot_accept) {
            slot.accepting = true;
            queue(Op::arm_accept, index);
        }
        return result;
    }

private:
    /// Received bytes not read yet: `length` bytes from `offset` in receive buffer `buffer`.
    struct ReceivedChunk {
        std::uint16_t buffer;
        std::uint32_t offset;
        std::uint32_t length;
    };

    /// A descriptor's place in the table. It is reused once nothing the kernel holds names it.
    struct Slot {
        IoHandle* handle = nullptr;  ///< null once deregistered
        std::uint32_t generation = 0;
        bool armed = false;    ///< its multishot poll may still complete
        bool sending = false;  ///< `outgoing` is in flight
        bool accepting = false;  ///< a listener's multishot accept may still complete
        bool free = false;     ///< on the free list
        int send_error = 0;    ///< the errno of a send that failed (sticky: the connection is broken)
        std::string outgoing;  ///< the buffer being sent, owned here until its completion
        std::size_t sent = 0;  ///< how much of it has gone
        std::vector<int> accepted;  ///< a listener's connections the server has not taken yet
        bool receiving = false;  ///< a multishot receive may still complete
        bool stopping_receive = false;  ///< its cancellation is queued
        int receive_error = 0;  ///< the errno it ended with, until a receive() reports it
        std::vector<ReceivedChunk> received;  ///< what it brought that nobody read yet, in order
        bool file_registered = false;  ///< in the registered-file table, at the slot's index
        std::uint8_t file_updates = 0;  ///< updates of that entry queued and not completed
        int fd_to_register = -1;  ///< read by the kernel when the registration is submitted
        [[nodiscard]] bool busy() const noexcept { return armed || sending || accepting || receiving || file_updates > 0; }
    };

    static __kernel_timespec to_timespec(Duration timeout) noexcept {
        constexpr auto kLongest = std::chrono::hours(24 * 365);  // "forever" in practice
        const Duration clamped = timeout > kLongest ? std::chrono::duration_cast<Duration>(kLongest) : timeout;
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(clamped);
        __kernel_timespec result{};
        result.tv_sec = seconds.count();
        result.tv_nsec = (clamped - seconds).count();
        return result;
    }

    std::uint64_t token_of(std::uint32_t index) const noexcept {
        return (std::uint64_t{m_slots[index].generation} << 32) | index;
    }

    /// What the poller asks of the kernel. Each is queued at once if a submission entry can be
    /// had, and otherwise (the kernel takes nothing now) kept and retried by the next wait(), so
    /// that nothing the loop relies on is lost and completion handling never throws.
    enum class Op : std::uint8_t {
        arm_poll, send, cancel_send, remove_poll, arm_accept, cancel_accept, register_file, unregister_file,
        arm_receive, cancel_receive, arm_wakeup
    };
    struct DeferredOp {
        Op op;
        std::uint32_t index;
        std::uint32_t generation;
    };

    void queue(Op op, std::uint32_t index) noexcept {
        if (io_uring_sqe* sqe = next_sqe()) {
            prepare(*sqe, op, index);
        } else {
            m_deferred.push_back({op, index, op == Op::arm_wakeup ? 0 : m_slots[index].generation});
        }
    }

    void prepare(io_uring_sqe& sqe, Op op, std::uint32_t index) noexcept {
        switch (op) {
        case Op::arm_poll:
            io_uring_prep_poll_multishot(&sqe, m_slots[index].handle->fd(), kWatchedEvents);
            by_registered_file(sqe, index);
            io_uring_sqe_set_data64(&sqe, token_of(index));
            return;
        case Op::send: {
            // MSG_WAITALL: the kernel sends all of it, waiting for room as it must.
            Slot& slot = m_slots[index];
            io_uring_prep_send(&sqe, slot.handle->fd(), slot.outgoing.data() + slot.sent,
                               slot.outgoing.size() - slot.sent, MSG_NOSIGNAL | MSG_WAITALL);
            by_registered_file(sqe, index);
            io_uring_sqe_set_data64(&sqe, token_of(index) | kSendBit);
            return;
        }
        case Op::cancel_send:
            cancel(sqe, token_of(index) | kSendBit);
            return;
        case Op::remove_poll:
            io_uring_prep_poll_remove(&sqe, token_of(index));
            io_uring_sqe_set_data64(&sqe, kIgnoredToken);
            return;
        case Op::arm_accept:
            // No address buffer: a multishot accept would write every peer into the same one.
            io_uring_prep_multishot_accept(&sqe, m_slots[index].handle->fd(), nullptr, nullptr,
                                           SOCK_NONBLOCK | SOCK_CLOEXEC);
            io_uring_sqe_set_data64(&sqe, token_of(index) | kAcceptBit);
            return;
        case Op::cancel_accept:
            cancel(sqe, token_of(index) | kAcceptBit);
            return;
        case Op::arm_receive:
            io_uring_prep_recv_multishot(&sqe, m_slots[index].handle->fd(), nullptr, 0, 0);
            sqe.flags |= IOSQE_BUFFER_SELECT;
            sqe.buf_group = kReceiveBufferGroup;
            by_registered_file(sqe, index);
            io_uring_sqe_set_data64(&sqe, token_of(index) | kReceiveBit);
            return;
        case Op::cancel_receive:
            cancel(sqe, token_of(index) | kReceiveBit);
            return;
        case Op::register_file:
            io_uring_prep_files_update(&sqe, &m_slots[index].fd_to_register, 1, static_cast<int>(index));
            io_uring_sqe_set_data64(&sqe, token_of(index) | kFileBit);
            return;
        case Op::unregister_file:
            io_uring_prep_files_update(&sqe, &m_no_file, 1, static_cast<int>(index));
            io_uring_sqe_set_data64(&sqe, token_of(index) | kFileBit);
            return;
        case Op::arm_wakeup:
            // A read, not a poll: it completes once with every wake() so far and empties the
            // counter as it does, so a burst of wakes ends one wait only (a poll would complete
            // once per wake the kernel saw, and the next wait would not sleep).
            io_uring_prep_read(&sqe, m_wakeup.fd, &m_wakes, sizeof m_wakes, 0);
            io_uring_sqe_set_data64(&sqe, kWakeupToken);
            return;
        }
    }

    /// Cancels the operation whose completions carry `token`; its own completion is ignored.
    static void cancel(io_uring_sqe& sqe, std::uint64_t token) noexcept {
        io_uring_prep_cancel64(&sqe, token, 0);
        io_uring_sqe_set_data64(&sqe, kIgnoredToken);
    }

    /// The operations no entry could be had for, in their order. One for a socket deregistered
    /// meanwhile is dropped (it would start something), or is still needed (it ends something).
    void retry_deferred() noexcept {
        std::vector<DeferredOp> pending;
        pending.swap(m_deferred);
        m_deferred.reserve(pending.size());
        for (const DeferredOp& deferred : pending) {
            if (deferred.op != Op::arm_wakeup && m_slots[deferred.index].generation != deferred.generation) continue;
            if (deferred.op != Op::arm_wakeup && m_slots[deferred.index].handle == nullptr &&
                !still_needed(deferred.op, m_slots[deferred.index])) {
                free_if_idle(deferred.index);
                continue;
            }
            queue(deferred.op, deferred.index);
        }
    }

    /// Whether a deferred `op` of a deregistered slot must still go to the kernel: a cancel or a
    /// removal of what the kernel still holds does; what would start something is dropped, and
    /// the slot forgets it.
    static bool still_needed(Op op, Slot& slot) noexcept {
        switch (op) {
        case Op::remove_poll: return slot.armed;
        case Op::cancel_send: return slot.sending;
        case Op::cancel_accept: return slot.accepting;
        case Op::cancel_receive: return slot.receiving;
        case Op::unregister_file: return true;
        case Op::arm_poll: slot.armed = false; return false;
        case Op::send: slot.sending = false; return false;
        case Op::arm_accept: slot.accepting = false; return false;
        case Op::arm_receive: slot.receiving = false; return false;
        case Op::register_file: --slot.file_updates; return false;
        case Op::arm_wakeup: return true;
        }
        return true;
    }

    /// A deregistered slot the kernel no longer names goes back to the free list (once).
    void free_if_idle(std::uint32_t index) noexcept {
        Slot& slot = m_slots[index];
        if (slot.handle != nullptr || slot.busy() || slot.free) return;
        slot.free = true;
        m_free_slots.push_back(index);  // capacity kept: see register_descriptor()
    }

    std::uint32_t take_slot() {
        std::uint32_t index = 0;
        if (m_free_slots.empty()) {
            index = static_cast<std::uint32_t>(m_slots.size());
            m_slots.emplace_back();
        } else {
            index = m_free_slots.back();
            m_free_slots.pop_back();
        }
        ++m_slots[index].generation;
        m_slots[index].free = false;
        return index;
    }

    /// An operation on a socket whose registered file is in place names it by its index.
    void by_registered_file(io_uring_sqe& sqe, std::uint32_t index) const noexcept {
        if (!m_slots[index].file_registered) return;
        sqe.fd = static_cast<int>(index);
        sqe.flags |= IOSQE_FIXED_FILE;
    }

    /// A table of registered files, empty (Linux 5.19), as large as the descriptor limit allows
    /// up to kMostRegisteredFiles; without it (an older kernel), plain descriptors. (The ring's
    /// own descriptor is not registered: that registration belongs to the thread that makes it,
    /// and a loop may be built on one thread and run on another.)
    void register_file_table() noexcept {
        rlimit limit{};
        const unsigned allowed = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < kMostRegisteredFiles
                                     ? static_cast<unsigned>(limit.rlim_cur)
                                     : kMostRegisteredFiles;
        if (io_uring_register_files_sparse(&m_ring.ring, allowed) == 0) m_file_table_size = allowed;
    }

    /// The ring of receive buffers (Linux 5.19), all of them given to the kernel; without it (an
    /// older kernel, no memory), sockets receive with recv().
    void register_receive_buffers() noexcept {
        ReceiveBuffers& buffers = m_receive_buffers;
        const std::size_t ring_bytes = kReceiveBuffers * sizeof(io_uring_buf);
        void* ring = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        if (ring == MAP_FAILED) return;
        buffers.memory.reset(new (std::nothrow) char[kReceiveBuffers * kReceiveBufferSize]);
        io_uring_buf_reg registration{};
        registration.ring_addr = reinterpret_cast<std::uintptr_t>(ring);
        registration.ring_entries = kReceiveBuffers;
        registration.bgid = kReceiveBufferGroup;
        if (!buffers.memory || io_uring_register_buf_ring(&m_ring.ring, &registration, 0) != 0) {
            munmap(ring, ring_bytes);
            buffers.memory.reset();
            return;
        }
        buffers.ring = static_cast<io_uring_buf_ring*>(ring);
        io_uring_buf_ring_init(buffers.ring);
        for (unsigned id = 0; id < kReceiveBuffers; ++id) give_back(static_cast<std::uint16_t>(id));
    }

    char* receive_buffer(std::uint16_t id) const noexcept {
        return m_receive_buffers.memory.get() + std::size_t{id} * kReceiveBufferSize;
    }

    /// Receive buffer `id` goes back to the kernel's ring.
    void give_back(std::uint16_t id) noexcept {
        io_uring_buf_ring_add(m_receive_buffers.ring, receive_buffer(id), kReceiveBufferSize, id,
                              io_uring_buf_ring_mask(kReceiveBuffers), 0);
        io_uring_buf_ring_advance(m_receive_buffers.ring, 1);
        m_receive_ring_empty = false;
    }

    /// Copies out what the slot's multishot receive brought, oldest first; a buffer read to its
    /// end goes back to the ring.
    std::size_t copy_received(Slot& slot, char* into, std::size_t size) noexcept {
        std::size_t copied = 0;
        std::size_t finished = 0;
        while (finished < slot.received.size() && copied < size) {
            ReceivedChunk& chunk = slot.received[finished];
            const std::size_t n = std::min<std::size_t>(chunk.length, size - copied);
            std::memcpy(into + copied, receive_buffer(chunk.buffer) + chunk.offset, n);
            copied += n;
            chunk.offset += static_cast<std::uint32_t>(n);
            chunk.length -= static_cast<std::uint32_t>(n);
            if (chunk.length > 0) break;
            give_back(chunk.buffer);
            ++finished;
        }
        slot.received.erase(slot.received.begin(), slot.received.begin() + static_cast<std::ptrdiff_t>(finished));
        return copied;
    }

    /// A socket that is gone, or a reader that fell behind: its multishot receive is cancelled
    /// (what it brought until then still arrives, in order).
    void stop_receiving(std::uint32_t index) noexcept {
        Slot& slot = m_slots[index];
        if (slot.stopping_receive) return;
        slot.stopping_receive = true;
        queue(Op::cancel_receive, index);
    }

    void drop_received(Slot& slot) noexcept {
        for (const ReceivedChunk& chunk : slot.received) give_back(chunk.buffer);
        slot.received.clear();
        slot.receive_error = 0;
    }

    /// A completion of a socket's multishot receive: bytes in one of the ring's buffers, or its
    /// end (0: end of stream, or an error). The reader is woken for each, so that what ended it
    /// reaches the reader after the bytes, through receive().
    void finish_receive(std::uint32_t index, const io_uring_cqe& cqe, bool more) noexcept {
        Slot& slot = m_slots[index];
        const bool has_buffer = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
        const auto buffer = static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
        if (!more) {
            slot.receiving = false;
            slot.stopping_receive = false;
            if (slot.handle != nullptr) set_reads_in_background(*slot.handle, false);
        }
        if (slot.handle == nullptr) {  // the socket is gone: nothing is kept for it
            if (has_buffer) give_back(buffer);
            if (!more) free_if_idle(index);
            return;
        }
        if (cqe.res > 0 && has_buffer) {
            try {
                slot.received.push_back({buffer, 0, static_cast<std::uint32_t>(cqe.res)});
            } catch (const std::bad_alloc&) {
                give_back(buffer);
                slot.receive_error = ENOMEM;  // the bytes are lost: the stream must not go on
            }
            if (slot.received.size() >= kMostHeldBuffers && slot.receiving) stop_receiving(index);
        } else {
            if (has_buffer) give_back(buffer);  // no bytes in it
            if (cqe.res == -ENOBUFS) {
                m_receive_ring_empty = true;  // recv() until a buffer comes back
            } else if (cqe.res == -EINVAL) {
                m_multishot_receive = false;  // before Linux 6.0: recv() for good
            } else if (cqe.res < 0 && cqe.res != -ECANCELED) {
                slot.receive_error = -cqe.res;
            }
        }
        deliver(*slot.handle, POLLIN);
    }

    /// An update of a slot's registered file completed: a registration makes the entry usable
    /// (unless it failed, or the socket is gone and its removal follows).
    void finish_file_update(std::uint32_t index, int result) noexcept {
        Slot& slot = m_slots[index];
        --slot.file_updates;
        if (slot.handle == nullptr) {
            free_if_idle(index);
            return;
        }
        slot.file_registered = result > 0;
    }

    /// A free submission entry, submitting what is queued if the ring is full; null only if the
    /// kernel takes nothing now (its completion backlog is full).
    io_uring_sqe* next_sqe() noexcept {
        io_uring_sqe* sqe = io_uring_get_sqe(&m_ring.ring);
        if (sqe == nullptr) {
            [[maybe_unused]] const int submitted = io_uring_submit(&m_ring.ring);
            sqe = io_uring_get_sqe(&m_ring.ring);
        }
        return sqe;
    }

    io_uring_sqe& sqe_or_throw() {
        io_uring_sqe* sqe = next_sqe();
        if (sqe == nullptr) throw_code(EBUSY, "io_uring: submission ring full");
        return *sqe;
    }

    /// The socket is about to be closed, but the kernel holds it through the slot's operations.
    /// A queued send goes first (what the socket takes now is delivered, as a send() before a
    /// close() would be); the rest is cancelled, and the poll removed, at once: until then,
    /// closing the descriptor would neither send the FIN nor free the port.
    void release_socket(std::uint32_t index) noexcept {
        Slot& slot = m_slots[index];
        if (slot.sending) {
            [[maybe_unused]] const int submitted = io_uring_submit(&m_ring.ring);
            queue(Op::cancel_send, index);
        }
        if (slot.armed) queue(Op::remove_poll, index);
        if (slot.accepting) queue(Op::cancel_accept, index);
        [[maybe_unused]] const int submitted = io_uring_submit(&m_ring.ring);
    }

    /// Connections accepted for a listener that is gone: closed (their clients see a reset or
    /// a FIN, as those left in a closed listener's backlog do).
    static void close_unclaimed(Slot& slot) noexcept {
        for (const int fd : slot.accepted) close_socket(fd);
        slot.accepted.clear();
    }

    /// A completion of a listener's multishot accept: a connection's descriptor, or an error
    /// (which ends it: the next accept() meets the matter itself, see accept()).
    void finish_accept(std::uint32_t index, int result, bool more) noexcept {
        Slot& slot = m_slots[index];
        if (!more) slot.accepting = false;
        // Before Linux 5.19 (a socket that is not listening says EINVAL to accept() as well, and
        // so to the server).
        if (result == -EINVAL) m_multishot_accept = false;
        if (slot.handle == nullptr) {
            if (result >= 0) close_socket(result);
            if (!more) free_if_idle(index);
            return;
        }
        if (result >= 0) {
            try {
                slot.accepted.push_back(result);
            } catch (const std::bad_alloc&) {
                close_socket(result);  // out of memory: this client is refused, the server goes on
            }
        }
        deliver(*slot.handle, POLLIN);
    }

    /// The last send completed (or failed, or was cancelled): its buffer goes back to the pool.
    void finish_send(std::uint32_t index, int result) {
        Slot& slot = m_slots[index];
        slot.sending = false;
        if (result > 0) {
            slot.sent += static_cast<std::size_t>(result);
            if (slot.sent < slot.outgoing.size() && slot.handle != nullptr) {
                slot.sending = true;
                queue(Op::send, index);
                return;
            }
        } else if (result < 0 && result != -ECANCELED) {
            slot.send_error = -result;
        }
        if (slot.sent < slot.outgoing.size() && slot.send_error == 0 && slot.handle != nullptr) slot.send_error = EPIPE;
        give_write_buffer(slot.outgoing);
        slot.sent = 0;
        if (slot.handle == nullptr) {
            free_if_idle(index);
            return;
        }
        // A failure makes both directions try their system call (and meet the error); success
        // makes room for the next buffer.
        deliver(*slot.handle, slot.send_error != 0 ? POLLERR : POLLOUT);
    }

    /// The poller goes with the loop: a buffer still in flight must not be read by the kernel
    /// after it is freed, so every send is cancelled and its completion awaited. If the kernel
    /// cannot be asked, the buffers are left allocated rather than freed under it.
    void cancel_sends_and_wait() noexcept {
        std::size_t in_flight = 0;
        for (std::uint32_t index = 0; index < m_slots.size(); ++index) {
            if (!m_slots[index].sending) continue;
            ++in_flight;
            io_uring_sqe* sqe = next_sqe();
            if (sqe == nullptr) return leak_slots();
            prepare(*sqe, Op::cancel_send, index);
        }
        while (in_flight > 0) {
            const int result = io_uring_submit_and_wait(&m_ring.ring, 1);
            if (result < 0 && result != -EINTR && result != -EAGAIN && result != -EBUSY) return leak_slots();
            io_uring_cqe* cqe = nullptr;
            while (in_flight > 0 && io_uring_peek_cqe(&m_ring.ring, &cqe) == 0) {
                const std::uint64_t token = io_uring_cqe_get_data64(cqe);
                if (token != kIgnoredToken && token != kWakeupToken && (token & kSendBit) != 0) --in_flight;
                io_uring_cqe_seen(&m_ring.ring, cqe);
            }
        }
    }

    void leak_slots() noexcept { new std::deque<Slot>(std::move(m_slots)); }

    /// The kernel must post multishot poll completions (Linux 5.13): tried once on an eventfd
    /// of its own, before the loop relies on it.
    void check_multishot_poll() {
        const EventDescriptor probe(EFD_NONBLOCK);
        io_uring_sqe& poll = sqe_or_throw();
        io_uring_prep_poll_multishot(&poll, probe.fd, kWatchedEvents);
        io_uring_sqe_set_data64(&poll, kIgnoredToken);
        const std::uint64_t one = 1;
        if (::write(probe.fd, &one, sizeof one) < 0) throw_code(errno, "eventfd");
        const int result = io_uring_submit_and_wait(&m_ring.ring, 1);
        if (result < 0) throw_code(-result, "io_uring_enter");
        io_uring_cqe* cqe = nullptr;
        if (io_uring_peek_cqe(&m_ring.ring, &cqe) != 0) throw_code(EIO, "io_uring: no completion");
        const bool works = cqe->res > 0 && (cqe->flags & IORING_CQE_F_MORE) != 0;
        const int error = cqe->res < 0 ? -cqe->res : EOPNOTSUPP;
        io_uring_cqe_seen(&m_ring.ring, cqe);
        if (!works) throw_code(error, "io_uring: multishot poll");
        io_uring_sqe& removal = sqe_or_throw();
        io_uring_prep_poll_remove(&removal, kIgnoredToken);
        io_uring_sqe_set_data64(&removal, kIgnoredToken);
        io_uring_submit(&m_ring.ring);  // before the probe's descriptor is closed
    }

    void reap_completions() noexcept {
        std::array<io_uring_cqe*, 256> batch;
        for (;;) {
            const unsigned count = io_uring_peek_batch_cqe(&m_ring.ring, batch.data(), batch.size());
            if (count == 0) return;
            for (unsigned i = 0; i < count; ++i) complete(*batch[i]);
            io_uring_cq_advance(&m_ring.ring, count);
        }
    }

    void complete(const io_uring_cqe& cqe) noexcept {
        const std::uint64_t token = io_uring_cqe_get_data64(&cqe);
        const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
        if (token == kIgnoredToken) return;
        if (token == kWakeupToken) {
            queue(Op::arm_wakeup, 0);
            return;
        }
        const auto index = static_cast<std::uint32_t>(token & kIndexMask);
        Slot& slot = m_slots[index];
        // A slot is reused only after its last completion, so none names an older slot; if one
        // did, an accepted descriptor must still not leak.
        if (slot.generation != static_cast<std::uint32_t>(token >> 32)) {
            if ((token & kAcceptBit) != 0 && cqe.res >= 0) close_socket(cqe.res);
            if ((token & kReceiveBit) != 0 && (cqe.flags & IORING_CQE_F_BUFFER) != 0) {
                give_back(static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
            }
            return;
        }
        if ((token & kAcceptBit) != 0) {
            finish_accept(index, cqe.res, more);
            return;
        }
        if ((token & kFileBit) != 0) {
            finish_file_update(index, cqe.res);
            return;
        }
        if ((token & kReceiveBit) != 0) {
            finish_receive(index, cqe, more);
            return;
        }
        if ((token & kSendBit) != 0) {
            finish_send(index, cqe.res);
            return;
        }
        if (!more) slot.armed = false;
        if (slot.handle == nullptr) {  // deregistered: its poll is going, or gone with this one
            if (more) {
                queue(Op::remove_poll, index);
            } else {
                free_if_idle(index);
            }
            return;
        }
        // A poll that ended (the kernel dropped it: a completion backlog, a cancellation) is
        // armed again; one that failed also reports both directions ready, so that the owner's
        // next system call meets the socket's state itself.
        if (!more) {
            slot.armed = true;
            queue(Op::arm_poll, index);
        }
        deliver(*slot.handle, cqe.res < 0 ? POLLERR : static_cast<std::uint32_t>(cqe.res));
    }

    std::uint64_t m_wakes = 0;  ///< the wake-up read's buffer: declared first, it outlives the ring
    /// The receive buffers and the ring that lists them: declared before the ring, they outlive it.
    struct ReceiveBuffers {
        io_uring_buf_ring* ring = nullptr;  ///< null: no background receives
        std::unique_ptr<char[]> memory;
        ReceiveBuffers() = default;
        ReceiveBuffers(const ReceiveBuffers&) = delete;
        ReceiveBuffers& operator=(const ReceiveBuffers&) = delete;
        ~ReceiveBuffers() {
            if (ring != nullptr) munmap(ring, kReceiveBuffers * sizeof(io_uring_buf));
        }
    } m_receive_buffers;
    Ring m_ring;
    EventDescriptor m_wakeup{0};  ///< blocking: io_uring waits on the read itself
    std::deque<Slot> m_slots;  ///< a deque: a send's buffer may live inside its slot (a short string)
    std::vector<std::uint32_t> m_free_slots;
    std::vector<DeferredOp> m_deferred;  ///< no submission entry could be had for these yet
    bool m_multishot_accept = true;  ///< false once the kernel refused one (before Linux 5.19)
    unsigned m_file_table_size = 0;  ///< entries of the registered-file table (0: none)
    int m_no_file = -1;  ///< what an unregistration writes into the table
    bool m_receive_ring_empty = false;  ///< the kernel said ENOBUFS and no buffer came back since
    bool m_multishot_receive = true;  ///< false once the kernel refused one (before Linux 6.0)
};

}  // namespace

std::unique_ptr<Poller> make_uring_poller() { return std::make_unique<UringPoller>(); }

}  // namespace asyncio::detail
