// Fuzzes ChunkedDecoder: the same input fed at once, a byte at a time and in two pieces must
// give the same status, body and consumed count; the body never exceeds max_body.

#include <asyncio/http/chunked_decoder.hpp>

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace asyncio::http;

namespace {

struct Outcome {
    ParseStatus status = ParseStatus::partial;
    int http_status = 0;
    std::size_t consumed = 0;  ///< total over all feeds (complete only)
    std::string body;
};

/// Feeds `input` in pieces of `piece` bytes (0: all at once).
Outcome decode(std::string_view input, std::size_t piece, std::uint64_t max_body) {
    ChunkedDecoder decoder;
    Outcome out;
    std::size_t at = 0;
    do {
        const std::string_view part = input.substr(at, piece == 0 ? input.size() : piece);
        const ParseResult r = decoder.feed(part, out.body, max_body);
        out.status = r.status;
        out.http_status = r.http_status;
        FUZZ_CHECK(r.consumed <= part.size());
        if (r.partial()) FUZZ_CHECK(r.consumed == part.size());
        if (!r.error()) out.consumed += r.consumed;
        FUZZ_CHECK(out.body.size() <= max_body && decoder.body_size() == out.body.size());
        if (!r.partial()) break;
        at += part.size();
    } while (at < input.size());
    return out;
}

bool same(const Outcome& a, const Outcome& b) {
    if (a.status != b.status) return false;
    if (a.status == ParseStatus::error) return a.http_status == b.http_status;
    return a.consumed == b.consumed && (a.status == ParseStatus::partial || a.body == b.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint64_t max_body = (data[0] & 1) ? data[0] : 1024 * 1024;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    const Outcome whole = decode(input, 0, max_body);
    if (whole.status == ParseStatus::error) FUZZ_CHECK(whole.http_status == 400 || whole.http_status == 413 || whole.http_status == 431);
    FUZZ_CHECK(same(whole, decode(input, 1, max_body)));
    FUZZ_CHECK(same(whole, decode(input, 1 + data[0] % 7, max_body)));
    return 0;
}
