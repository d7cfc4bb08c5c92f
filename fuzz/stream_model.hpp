#pragma once
// The reference the stream_readline fuzzer compares the real Stream with: CPython's
// asyncio.StreamReader (Lib/asyncio/streams.py) on a byte string, plus the peer's side of the
// socket, so that it predicts what each read returns for a given sequence of deliveries.
//
// CPython's rules, as the project follows them:
// - readuntil(sep) returns the bytes up to and including the first `sep` if it starts at most
//   `limit` bytes in; otherwise LimitOverrunError, and nothing is consumed (the bytes stay
//   readable). It stops waiting for more once `limit` + len(sep) bytes are buffered without a
//   separator (`offset = buflen + 1 - seplen > limit`), so the outcome never depends on how the
//   bytes were split into segments. At EOF first: IncompleteReadError with all that was buffered
//   (consumed). An empty separator is invalid (ValueError; std::invalid_argument here).
// - readline() is readuntil("\n") that returns the partial line at EOF. (CPython's readline also
//   turns LimitOverrunError into ValueError and drops the line; this project keeps the bytes
//   and raises LimitOverrunError, as its readuntil does: stream_test.cpp asserts it.)
// - readexactly(n): n bytes, or IncompleteReadError with all that was buffered at EOF.
// - read(n): n < 0 reads to EOF; n > 0 waits only if nothing is buffered, then returns up to n.
// A read that is cancelled while it waits consumes nothing.

#include "stream_script.hpp"

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace stream_fuzz {

struct Outcome {
    enum class Kind { value, incomplete, overrun, cancelled, invalid_argument };
    Kind kind = Kind::value;
    std::string bytes;  ///< the value, or the partial bytes of an IncompleteReadError

    friend bool operator==(const Outcome&, const Outcome&) = default;
};

/// What the peer does when the reader waits for data and nothing is in flight.
enum class Starved { deliver, eof, cancel };

/// The peer's rule, shared by the real peer and the model: a read step with a cancel budget is
/// cancelled once it starves after that many deliveries; otherwise the next queued chunk is sent,
/// or EOF once the queue is empty.
inline Starved when_starved(bool queue_empty, int deliveries, int cancel_after) {
    if (deliveries == cancel_after) return Starved::cancel;
    return queue_empty ? Starved::eof : Starved::deliver;
}

/// Bytes sent at once (not on demand) stay in flight below these bounds, so one recv() takes them
/// all and the socket buffer never fills.
inline constexpr std::size_t kMaxSendsInFlight = 32;

class StreamModel {
public:
    explicit StreamModel(std::size_t limit) : m_limit(limit) {}

    // --- the peer ---
    void queue(std::string chunk) { m_queued.push_back(std::move(chunk)); }
    [[nodiscard]] bool can_send(std::size_t n) const noexcept {
        return !m_eof_sent && m_in_flight.size() + n <= kMaxChunk && m_sends_in_flight < kMaxSendsInFlight;
    }
    void send(std::string_view bytes) {
        m_in_flight += bytes;
        ++m_sends_in_flight;
    }
    void send_eof() noexcept { m_eof_sent = true; }
    [[nodiscard]] bool eof_sent() const noexcept { return m_eof_sent; }

    // --- the reader ---
    void set_limit(std::size_t limit) noexcept { m_limit = limit; }
    [[nodiscard]] std::size_t limit() const noexcept { return m_limit; }
    [[nodiscard]] std::string_view buffered() const noexcept { return std::string_view(m_buffer).substr(m_start); }
    [[nodiscard]] bool at_eof() const noexcept { return m_eof_seen && buffered().empty(); }
    void consume(std::size_t n) { (void)take(n); }

    Outcome readuntil(std::string_view separator, int cancel_after) {
        if (separator.empty()) return {Outcome::Kind::invalid_argument, {}};
        Read read{cancel_after};
        std::size_t offset = 0;  // no separator starts before it
        std::size_t found = std::string::npos;
        for (;;) {
            const std::string_view data = buffered();
            if (data.size() - offset >= separator.size()) {
                found = data.find(separator, offset);
                if (found != std::string::npos) break;
                offset = data.size() + 1 - separator.size();
                if (offset > m_limit) return {Outcome::Kind::overrun, {}};
            }
            const Pull pulled = pull(read);
            if (pulled == Pull::cancelled) return {Outcome::Kind::cancelled, {}};
            if (pulled == Pull::eof) return {Outcome::Kind::incomplete, take_all()};
        }
        if (found > m_limit) return {Outcome::Kind::overrun, {}};
        return {Outcome::Kind::value, take(found + separator.size())};
    }

    Outcome readline(int cancel_after) {
        Outcome line = readuntil("\n", cancel_after);
        if (line.kind == Outcome::Kind::incomplete) line.kind = Outcome::Kind::value;
        return line;
    }

    Outcome readexactly(std::size_t n, int cancel_after) {
        Read read{cancel_after};
        while (buffered().size() < n) {
            const Pull pulled = pull(read);
            if (pulled == Pull::cancelled) return {Outcome::Kind::cancelled, {}};
            if (pulled == Pull::eof) return {Outcome::Kind::incomplete, take_all()};
        }
        return {Outcome::Kind::value, take(n)};
    }

    Outcome read(std::ptrdiff_t n, int cancel_after) {
        Read read{cancel_after};
        if (n == 0) return {};
        if (n < 0) {
            for (;;) {
                const Pull pulled = pull(read);
                if (pulled == Pull::cancelled) return {Outcome::Kind::cancelled, {}};
                if (pulled == Pull::eof) return {Outcome::Kind::value, take_all()};
            }
        }
        if (buffered().empty() && pull(read) == Pull::cancelled) return {Outcome::Kind::cancelled, {}};
        return {Outcome::Kind::value, take(static_cast<std::size_t>(n))};
    }

private:
    enum class Pull { data, eof, cancelled };
    struct Read {
        int cancel_after;
        int deliveries = 0;
    };

    /// The reader needs more: one recv() takes what is in flight, else the peer acts.
    Pull pull(Read& read) {
        if (m_eof_seen) return Pull::eof;
        if (!m_in_flight.empty()) {
            m_buffer += m_in_flight;
            m_in_flight.clear();
            m_sends_in_flight = 0;
            return Pull::data;
        }
        if (!m_eof_sent) {
            switch (when_starved(m_queued.empty(), read.deliveries, read.cancel_after)) {
                case Starved::cancel: return Pull::cancelled;
                case Starved::eof: m_eof_sent = true; break;
                case Starved::deliver:
                    m_buffer += m_queued.front();
                    m_queued.pop_front();
                    ++read.deliveries;
                    return Pull::data;
            }
        }
        m_eof_seen = true;
        return Pull::eof;
    }

    /// The first `n` buffered bytes (fewer if there are not as many), consumed.
    std::string take(std::size_t n) {
        std::string front(buffered().substr(0, n));
        m_start += front.size();
        if (m_start > m_buffer.size() / 2) {  // drop the consumed prefix now and then, not per read
            m_buffer.erase(0, m_start);
            m_start = 0;
        }
        return front;
    }
    std::string take_all() { return take(buffered().size()); }

    std::size_t m_limit;
    std::string m_buffer;     ///< received by the reader; the bytes from m_start on are not consumed
    std::size_t m_start = 0;
    std::string m_in_flight;  ///< sent at once by the peer, not received yet
    std::size_t m_sends_in_flight = 0;
    std::deque<std::string> m_queued;  ///< chunks the peer sends when the reader starves
    bool m_eof_sent = false;
    bool m_eof_seen = false;
};

}  // namespace stream_fuzz
