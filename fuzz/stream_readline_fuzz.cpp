// Fuzzes Stream's buffering (readline, readuntil, readexactly, read, consume, set_limit) through a
// real socket pair and event loop. The input is a script (stream_script.hpp): chunks the peer
// sends, either at once or when the reader starves, and the reads to make, some of them cancelled
// while they wait. Every outcome (value, IncompleteReadError with its partial bytes,
// LimitOverrunError, cancellation) and the buffered bytes after each step must match CPython's
// semantics (stream_model.hpp); at the end, everything returned equals everything sent.
//
// Deterministic: the peer sends a queued chunk only when the read task is blocked with nothing in
// flight (FIONREAD is 0 and the task is not done), and a chunk fits one recv(), so the segments
// the Stream receives are exactly the script's.

#include <asyncio/core/errors.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/io/stream.hpp>

#include "fuzz_check.hpp"
#include "stream_model.hpp"
#include "stream_script.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

using namespace stream_fuzz;

namespace {

/// Loop passes a read may go without progress before it counts as hung (each pass polls the
/// socket once; a healthy read needs one or two).
constexpr int kMaxIdlePasses = 1000;

/// The other end of the reader's socket: sends what the script says, and keeps a copy.
class Peer {
public:
    explicit Peer(int fd) : m_fd(fd) {}
    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;
    ~Peer() { ::close(m_fd); }

    void queue(std::string chunk) { m_queued.push_back(std::move(chunk)); }
    void send(std::string_view bytes) {
        const ssize_t n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        FUZZ_CHECK(n == static_cast<ssize_t>(bytes.size()));
        m_sent += bytes;
    }
    void send_eof() {
        FUZZ_CHECK(::shutdown(m_fd, SHUT_WR) == 0);
        m_eof_sent = true;
    }
    /// The reader waits with nothing in flight: send the next chunk or EOF, or say to cancel.
    Starved starving(int deliveries, int cancel_after) {
        const Starved action = when_starved(m_queued.empty(), deliveries, cancel_after);
        if (action == Starved::deliver) {
            send(m_queued.front());
            m_queued.pop_front();
        } else if (action == Starved::eof) {
            send_eof();
        }
        return action;
    }
    [[nodiscard]] bool eof_sent() const noexcept { return m_eof_sent; }
    [[nodiscard]] const std::string& sent() const noexcept { return m_sent; }

private:
    int m_fd;
    std::deque<std::string> m_queued;
    bool m_eof_sent = false;
    std::string m_sent;
};

/// Bytes the kernel holds for `fd` that no recv() has taken yet.
int unread_bytes(int fd) {
    int n = 0;
    FUZZ_CHECK(::ioctl(fd, FIONREAD, &n) == 0);
    return n;
}

/// Runs one read step on the real Stream; its result or its exception as an Outcome.
/// (A cancellation propagates: the task ends cancelled.)
asyncio::Task<Outcome> perform(asyncio::Stream& stream, const Step& step) {
    using Kind = Outcome::Kind;
    try {
        switch (step.kind) {
            case StepKind::readline: {
                std::string line = co_await stream.readline();
                co_return Outcome{Kind::value, std::move(line)};
            }
            case StepKind::readuntil: {
                std::string chunk = co_await stream.readuntil(step.bytes);
                co_return Outcome{Kind::value, std::move(chunk)};
            }
            case StepKind::readexactly: {
                std::string exact = co_await stream.readexactly(static_cast<std::size_t>(step.count));
                co_return Outcome{Kind::value, std::move(exact)};
            }
            default: {
                std::string part = co_await stream.read(step.count);
                co_return Outcome{Kind::value, std::move(part)};
            }
        }
    } catch (const asyncio::IncompleteReadError& error) {
        co_return Outcome{Kind::incomplete, error.partial};
    } catch (const asyncio::LimitOverrunError& error) {
        FUZZ_CHECK(error.consumed > stream.limit());  // it reports where the limit was passed
        co_return Outcome{Kind::overrun, {}};
    } catch (const std::invalid_argument&) {
        co_return Outcome{Kind::invalid_argument, {}};
    }
}

/// Runs a read step as a task of its own and plays the peer meanwhile: whenever the read waits
/// with nothing in flight, the peer delivers the next queued chunk, sends EOF, or the read is
/// cancelled (the step's budget).
asyncio::Task<Outcome> drive(asyncio::Stream& stream, Peer& peer, const Step& step) {
    auto read = asyncio::create_task(perform(stream, step));
    int deliveries = 0;
    int idle_passes = 0;
    bool cancelled = false;
    while (!read.done()) {
        // One loop pass: the poller looks at the socket (without sleeping), the read runs if it
        // can, then this task.
        co_await asyncio::sleep_until(asyncio::get_event_loop().time());
        if (read.done()) break;
        FUZZ_CHECK(++idle_passes < kMaxIdlePasses);  // the read hangs
        if (cancelled || peer.eof_sent() || unread_bytes(stream.fd()) > 0) continue;
        const Starved action = peer.starving(deliveries, step.cancel_after);
        if (action == Starved::cancel) {
            cancelled = read.cancel();
            FUZZ_CHECK(cancelled);
        } else {
            deliveries += action == Starved::deliver ? 1 : 0;
            idle_passes = 0;
        }
    }
    if (read.cancelled()) co_return Outcome{Outcome::Kind::cancelled, {}};
    co_return read.result();
}

const char* kind_name(Outcome::Kind kind) {
    switch (kind) {
        case Outcome::Kind::value: return "value";
        case Outcome::Kind::incomplete: return "IncompleteReadError";
        case Outcome::Kind::overrun: return "LimitOverrunError";
        case Outcome::Kind::cancelled: return "cancelled";
        default: return "invalid_argument";
    }
}

/// `bytes` as a C string literal would spell them.
std::string escaped(std::string_view bytes) {
    std::string out;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte == '\n') out += "\\n";
        else if (byte == '\r') out += "\\r";
        else if (byte == '"' || byte == '\\') out += {'\\', c};
        else if (byte >= 0x20 && byte < 0x7f) out += c;
        else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", byte);
            out += hex;
        }
    }
    return out;
}

/// Fails (after saying how) when the Stream's outcome is not the one CPython's rules give.
void check_outcome(std::size_t step_index, const Outcome& got, const Outcome& expected) {
    if (got == expected) return;
    std::fprintf(stderr, "step %zu: the Stream gave %s \"%s\", CPython's rules give %s \"%s\"\n", step_index,
                 kind_name(got.kind), escaped(got.bytes).c_str(), kind_name(expected.kind),
                 escaped(expected.bytes).c_str());
    FUZZ_CHECK(got == expected);
}

Outcome predict(StreamModel& model, const Step& step) {
    switch (step.kind) {
        case StepKind::readline: return model.readline(step.cancel_after);
        case StepKind::readuntil: return model.readuntil(step.bytes, step.cancel_after);
        case StepKind::readexactly: return model.readexactly(static_cast<std::size_t>(step.count), step.cancel_after);
        default: return model.read(step.count, step.cancel_after);
    }
}

/// The invariants every read outcome keeps, whatever the model says.
void check_read(const Step& step, const Outcome& got, std::string_view before, const asyncio::Stream& stream) {
    const std::string_view after = stream.buffered();
    if (got.kind == Outcome::Kind::value && step.kind == StepKind::readline && !got.bytes.empty()) {
        FUZZ_CHECK(got.bytes.back() == '\n' || stream.at_eof());  // a line ends with "\n" unless at EOF
    }
    if (got.kind == Outcome::Kind::value && step.kind == StepKind::readuntil) {
        FUZZ_CHECK(got.bytes.size() >= step.bytes.size() && got.bytes.ends_with(step.bytes));
        FUZZ_CHECK(got.bytes.find(step.bytes) == got.bytes.size() - step.bytes.size());  // the first one
    }
    if (got.kind == Outcome::Kind::overrun || got.kind == Outcome::Kind::cancelled) {
        FUZZ_CHECK(after.substr(0, before.size()) == before);  // nothing consumed: still readable
    }
    if (got.kind == Outcome::Kind::incomplete) FUZZ_CHECK(after.empty() && stream.at_eof());
}

/// The reader's side: runs the script against the real Stream and the model side by side.
asyncio::Task<> exercise(const Script& script, int reader_fd, Peer& peer) {
    // A slow step under the sanitizers on a busy machine is no finding.
    asyncio::get_event_loop().set_stall_threshold(asyncio::Duration::zero());
    asyncio::Stream stream(reader_fd, script.limit);
    StreamModel model(script.limit);
    std::string returned;  // every byte the reads (and consume) handed out, in order
    auto check_state = [&] {
        FUZZ_CHECK(stream.buffered() == model.buffered());
        FUZZ_CHECK(stream.at_eof() == model.at_eof());
        FUZZ_CHECK(stream.limit() == model.limit());
    };
    for (std::size_t index = 0; index < script.steps.size(); ++index) {
        const Step& step = script.steps[index];
        switch (step.kind) {
            case StepKind::queue:
                peer.queue(step.bytes);
                model.queue(step.bytes);
                break;
            case StepKind::send:
                if (!model.can_send(step.bytes.size())) break;
                peer.send(step.bytes);
                model.send(step.bytes);
                break;
            case StepKind::eof:
                if (model.eof_sent()) break;
                peer.send_eof();
                model.send_eof();
                break;
            case StepKind::consume:
                returned += stream.buffered().substr(0, static_cast<std::size_t>(step.count));
                stream.consume(static_cast<std::size_t>(step.count));
                model.consume(static_cast<std::size_t>(step.count));
                break;
            case StepKind::set_limit:
                stream.set_limit(static_cast<std::size_t>(step.count));
                model.set_limit(static_cast<std::size_t>(step.count));
                break;
            default: {
                const std::string before(stream.buffered());
                const Outcome got = co_await drive(stream, peer, step);
                check_outcome(index, got, predict(model, step));
                check_read(step, got, before, stream);
                returned += got.bytes;
                break;
            }
        }
        check_state();
    }
    // Read what is left to EOF: nothing was lost or duplicated on the way.
    Step rest;
    rest.kind = StepKind::read;
    rest.count = -1;
    const Outcome last = co_await drive(stream, peer, rest);
    check_outcome(script.steps.size(), last, predict(model, rest));
    returned += last.bytes;
    check_state();
    FUZZ_CHECK(returned == peer.sent());
}

bool is_closed(int fd) { return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF; }

/// Descriptors open in this process (the listing's own one included); with `print`, each of them
/// and what it refers to, on stderr.
int open_descriptor_count(bool print = false) {
    DIR* dir = ::opendir("/proc/self/fd");
    FUZZ_CHECK(dir != nullptr);
    int count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        ++count;
        if (!print) continue;
        char target[256] = {};
        const std::string link = std::string("/proc/self/fd/") + entry->d_name;
        (void)::readlink(link.c_str(), target, sizeof target - 1);
        std::fprintf(stderr, "  fd %s -> %s\n", entry->d_name, target);
    }
    ::closedir(dir);
    return count;
}

/// Every 64th run counts the process's descriptors before and after: the Stream, the loop's
/// poller and the peer must close all of theirs. (Not across runs: libFuzzer itself opens pipes to
/// a symbolizer now and then.)
class DescriptorLeakCheck {
public:
    DescriptorLeakCheck() : m_before(++s_runs % 64 == 0 ? open_descriptor_count() : -1) {}
    ~DescriptorLeakCheck() {
        if (m_before < 0 || open_descriptor_count() == m_before) return;
        std::fprintf(stderr, "%d descriptors open after the run, %d before:\n", open_descriptor_count(true), m_before);
        FUZZ_CHECK(!"descriptors leaked");
    }
    DescriptorLeakCheck(const DescriptorLeakCheck&) = delete;
    DescriptorLeakCheck& operator=(const DescriptorLeakCheck&) = delete;

private:
    static inline unsigned s_runs = 0;
    int m_before;
};

void fail_on_report(const std::string& message) {
    std::fprintf(stderr, "the loop reported: %s\n", message.c_str());
    FUZZ_CHECK(!"nothing is reported");
}

}  // namespace

/// ASan keeps freed blocks in a 256 MiB quarantine by default, so every run allocates from pages
/// it has not touched for a while (page faults were a third of the time); 16 MiB still holds all
/// that one run frees, so a use-after-free within a run is caught. ASAN_OPTIONS overrides it.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16"; }

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // Whatever the loop reports (a failed task nobody awaited, one left waiting at shutdown) is
    // a finding.
    asyncio::set_error_reporter(fail_on_report);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Script script = decode_script(data, size);
    const DescriptorLeakCheck leak_check;
    int fds[2];
    FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    try {
        Peer peer(fds[1]);
        asyncio::run(exercise(script, fds[0], peer));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "unexpected exception: %s\n", error.what());
        __builtin_trap();
    }
    FUZZ_CHECK(is_closed(fds[0]) && is_closed(fds[1]));
    return 0;
}
