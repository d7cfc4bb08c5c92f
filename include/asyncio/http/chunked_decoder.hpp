#pragma once

#include <asyncio/http/parse_result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace asyncio::http {

/// Longest chunk-size line (size, extensions, without CRLF) before 400.
inline constexpr std::size_t kMaxChunkLine = 1024;
/// Most bytes of trailer fields (including their CRLFs) before 431.
inline constexpr std::size_t kMaxTrailerBytes = 8192;

/// Decodes a "Transfer-Encoding: chunked" request body (RFC 9112 7.1) incrementally: feed it the
/// bytes as they arrive, in pieces of any size, and it appends the decoded data to a string.
/// Never throws.
///
///     http::ChunkedDecoder decoder;
///     http::ParseResult r = decoder.feed(received, body, limits.max_body);
///     // drop r.consumed bytes from the receive buffer; if r.complete() the body is whole and
///     // what remains of the buffer is the next pipelined request.
///
/// Chunk extensions are checked for stray control bytes and otherwise ignored; trailer fields
/// are skipped. Line ends must be CRLF here (a bare LF is a 400): lenient chunk parsing is how
/// request smuggling through a proxy works, and no client sends chunked bodies by hand.
class ChunkedDecoder {
public:
    /// Decodes what it can of `in`, appending chunk data to `body_out`.
    /// Returns complete when the last chunk, trailers and final CRLF were read; `consumed` is
    /// then the bytes of `in` that belong to the body (the rest is the next request).
    /// Returns partial when all of `in` was used (`consumed == in.size()`) and more is needed.
    /// Returns error 400 (malformed, size overflow, line too long), 413 (the decoded body would
    /// exceed `max_body`, detected from the chunk size before its data arrives) or 431 (trailers
    /// too large); `consumed` is then the offset of the offending byte. The decoder stays in the
    /// error (or complete) state until reset(): further calls return the same status, consuming
    /// nothing.
    [[nodiscard]] ParseResult feed(std::string_view in, std::string& body_out, std::uint64_t max_body) noexcept;

    /// Forgets everything; ready for the next body.
    void reset() noexcept { *this = ChunkedDecoder{}; }

    /// Decoded bytes so far (the body's length once complete).
    [[nodiscard]] std::uint64_t body_size() const noexcept { return m_body_size; }
    /// feed() has returned complete (and reset() was not called since); false after an error.
    [[nodiscard]] bool done() const noexcept { return m_state == State::done; }

private:
    /// Where in the grammar the next byte belongs:
    /// size: chunk-size hex digits; size_ws: whitespace after them; extension: after ';';
    /// size_lf: CR seen, LF next; data: m_remaining bytes of chunk data; data_cr, data_lf: the
    /// CRLF after the data; trailer_start: start of a trailer line (CR here ends the body);
    /// trailer: inside a trailer line; trailer_lf: CR seen in a trailer line; final_lf: the CR
    /// of the final empty line seen; done, failed: terminal.
    enum class State : std::uint8_t {
        size, size_ws, extension, size_lf, data, data_cr, data_lf,
        trailer_start, trailer, trailer_lf, final_lf, done, failed
    };

    ParseResult fail(std::size_t at, int status, std::string_view reason) noexcept;
    bool step(char c, std::size_t at, std::uint64_t max_body, ParseResult& error) noexcept;
    bool end_size_line(std::size_t at, std::uint64_t max_body, ParseResult& error) noexcept;

    State m_state = State::size;
    std::uint64_t m_chunk_size = 0;   ///< the size being read (size state), then announced size
    std::uint64_t m_remaining = 0;    ///< data bytes of the current chunk still to come
    std::uint64_t m_body_size = 0;    ///< decoded bytes so far
    std::size_t m_line_length = 0;    ///< bytes of the current size line
    std::size_t m_size_digits = 0;    ///< hex digits read in the current size line
    std::size_t m_trailer_bytes = 0;  ///< bytes of trailer section so far
    ParseResult m_error{};            ///< what to repeat once failed
};

}  // namespace asyncio::http
