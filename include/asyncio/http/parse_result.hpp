#pragma once
// What every incremental HTTP parser in this folder returns: complete, partial (feed me more
// bytes) or error, with the HTTP status the error implies. Parsers never throw.

#include <cstddef>
#include <string_view>

namespace asyncio::http {

/// complete: the thing parsed is whole, `consumed` says how many bytes it took.
/// partial:  nothing wrong so far, but more bytes are needed.
/// error:    the input can never become valid; answer with `http_status` and close.
enum class ParseStatus { complete, partial, error };

/// The outcome of one parse call.
struct ParseResult {
    ParseStatus status = ParseStatus::partial;
    /// complete: bytes used (the caller drops them; what follows belongs to the next message).
    /// partial, error: 0 for parse_request; see the decoder for ChunkedDecoder::feed.
    std::size_t consumed = 0;
    /// error only: the status to answer with (400, 413, 414, 431, 501, 505); 0 otherwise.
    int http_status = 0;
    /// error only: short static text for logs or the response body ("invalid header name").
    std::string_view reason;

    [[nodiscard]] bool complete() const noexcept { return status == ParseStatus::complete; }
    [[nodiscard]] bool partial() const noexcept { return status == ParseStatus::partial; }
    [[nodiscard]] bool error() const noexcept { return status == ParseStatus::error; }
};

}  // namespace asyncio::http
