#include <asyncio/http/chunked_decoder.hpp>

#include <algorithm>
#include <limits>

namespace asyncio::http {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Bytes allowed inside extensions and trailer lines: anything but CTLs (HT is fine) and DEL.
bool is_text(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7F);
}

}  // namespace

ParseResult ChunkedDecoder::fail(std::size_t at, int status, std::string_view reason) noexcept {
    m_state = State::failed;
    m_error = ParseResult{ParseStatus::error, at, status, reason};
    return m_error;
}

/// The CRLF after a chunk size (and its extensions) was read: data, or trailers after size 0.
bool ChunkedDecoder::end_size_line(std::size_t at, std::uint64_t max_body, ParseResult& error) noexcept {
    m_line_length = 0;
    m_size_digits = 0;
    if (m_chunk_size == 0) {
        m_state = State::trailer_start;
        return true;
    }
    // Refused from the announced size, before a byte of the chunk is buffered.
    if (m_body_size > max_body || m_chunk_size > max_body - m_body_size) {
        error = fail(at, 413, "chunked body too large");
        return false;
    }
    m_remaining = m_chunk_size;
    m_chunk_size = 0;
    m_state = State::data;
    return true;
}

/// Advances the state machine by one byte outside chunk data; false (and `error`) on a
/// protocol error.
bool ChunkedDecoder::step(char c, std::size_t at, std::uint64_t max_body, ParseResult& error) noexcept {
    auto bad = [&](std::string_view reason, int status = 400) {
        error = fail(at, status, reason);
        return false;
    };
    const bool in_size_line = m_state == State::size || m_state == State::size_ws || m_state == State::extension;
    if (in_size_line && ++m_line_length > kMaxChunkLine) return bad("chunk size line too long");
    const bool in_trailers = m_state >= State::trailer_start && m_state <= State::final_lf;
    if (in_trailers && ++m_trailer_bytes > kMaxTrailerBytes) return bad("trailer section too large", 431);

    switch (m_state) {
        case State::size: {
            const int digit = hex_value(c);
            if (digit >= 0) {
                if (m_chunk_size > (std::numeric_limits<std::uint64_t>::max() >> 4)) return bad("chunk size overflow");
                m_chunk_size = (m_chunk_size << 4) | static_cast<std::uint64_t>(digit);
                ++m_size_digits;
                return true;
            }
            if (m_size_digits == 0) return bad("invalid chunk size");
            [[fallthrough]];
        }
        case State::size_ws:
            // BWS ";" extensions, or the end of the line (RFC 9112 7.1.1).
            if (c == ' ' || c == '\t') m_state = State::size_ws;
            else if (c == ';') m_state = State::extension;
            else if (c == '\r') m_state = State::size_lf;
            else return bad("invalid chunk size");
            return true;
        case State::extension:
            if (c == '\r') m_state = State::size_lf;
            else if (!is_text(c)) return bad("invalid character in chunk extension");
            return true;
        case State::size_lf:
            if (c != '\n') return bad("CR not followed by LF in chunk size line");
            return end_size_line(at, max_body, error);
        case State::data_cr:
            if (c != '\r') return bad("chunk data longer than its size");
            m_state = State::data_lf;
            return true;
        case State::data_lf:
            if (c != '\n') return bad("CR not followed by LF after chunk data");
            m_state = State::size;
            return true;
        case State::trailer_start:
            if (c == '\r') m_state = State::final_lf;
            else if (is_text(c) && c != ' ' && c != '\t') m_state = State::trailer;
            else return bad("invalid trailer field");
            return true;
        case State::trailer:
            if (c == '\r') m_state = State::trailer_lf;
            else if (!is_text(c)) return bad("invalid character in trailer field");
            return true;
        case State::trailer_lf:
            if (c != '\n') return bad("CR not followed by LF in trailer");
            m_state = State::trailer_start;
            return true;
        case State::final_lf:
            if (c != '\n') return bad("CR not followed by LF at end of chunked body");
            m_state = State::done;
            return true;
        case State::data:
        case State::done:
        case State::failed:
            break;
    }
    return bad("internal decoder state");
}

ParseResult ChunkedDecoder::feed(std::string_view in, std::string& body_out, std::uint64_t max_body) noexcept {
    if (m_state == State::done) return {ParseStatus::complete, 0, 0, {}};
    if (m_state == State::failed) return {ParseStatus::error, 0, m_error.http_status, m_error.reason};
    std::size_t pos = 0;
    while (pos < in.size()) {
        if (m_state == State::data) {
            // Copy as much of the chunk as has arrived in one go; the size check already ran.
            const std::size_t take = static_cast<std::size_t>(
                std::min<std::uint64_t>(m_remaining, in.size() - pos));
            body_out.append(in.data() + pos, take);
            pos += take;
            m_remaining -= take;
            m_body_size += take;
            if (m_remaining == 0) m_state = State::data_cr;
            continue;
        }
        ParseResult error;
        if (!step(in[pos], pos, max_body, error)) return error;
        ++pos;
        if (m_state == State::done) return {ParseStatus::complete, pos, 0, {}};
    }
    return {ParseStatus::partial, pos, 0, {}};
}

}  // namespace asyncio::http
