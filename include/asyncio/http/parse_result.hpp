#pragma once

#include <cstddef>
#include <string_view>

namespace asyncio::http {

/// complete: the thing parsed is whole, `consumed` says how many bytes it took.
/// partial:  nothing wrong so far, but more bytes are needed.
/// error:    the input can never become valid; answer with `http_status` and close.
enum class ParseStatus { complete, partial, error };

/// What the incremental HTTP parsers (parse_request(), ChunkedDecoder::feed()) return: complete,
/// partial (feed me more bytes) or error, with the HTTP status the error implies. Parsers never
/// throw.
struct ParseResult {
    ParseStatus status = ParseStatus::partial;  ///< which of the three outcomes
    /// complete: bytes used (the caller drops them; what follows belongs to the next message).
    /// partial, error: 0 for parse_request; see the decoder for ChunkedDecoder::feed.
    std::size_t consumed = 0;
    /// error only: the status to answer with (400, 413, 414, 431, 501, 505); 0 otherwise.
    int http_status = 0;
    /// error only: short static text for logs or the response body ("invalid header name").
    std::string_view reason;

    /// status == ParseStatus::complete.
    [[nodiscard]] bool complete() const noexcept { return status == ParseStatus::complete; }
    /// status == ParseStatus::partial.
    [[nodiscard]] bool partial() const noexcept { return status == ParseStatus::partial; }
    /// status == ParseStatus::error.
    [[nodiscard]] bool error() const noexcept { return status == ParseStatus::error; }
};

}  // namespace asyncio::http
