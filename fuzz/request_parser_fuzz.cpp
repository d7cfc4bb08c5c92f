// Fuzzes parse_request: no crash, no over-read (libFuzzer's input is an exactly sized heap
// block), and the contract's invariants on every result.

#include <asyncio/http/request_parser.hpp>

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace asyncio::http;

namespace {

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

bool is_known_status(int status) {
    return status == 400 || status == 413 || status == 414 || status == 431 || status == 501 || status == 505;
}

void check_complete(std::string_view input, const ParseResult& r, const Request& req, const Limits& limits) {
    FUZZ_CHECK(r.consumed > 0 && r.consumed <= input.size());
    const std::string_view head = input.substr(0, r.consumed);
    FUZZ_CHECK(!req.method.empty() && !req.target.empty());
    FUZZ_CHECK(inside(req.method, head) && inside(req.target, head) && inside(req.query, head));
    FUZZ_CHECK(req.path == "/" || inside(req.path, head));
    FUZZ_CHECK(req.version_minor == 0 || req.version_minor == 1);
    FUZZ_CHECK(req.header_count <= limits.max_headers && req.header_count <= kMaxHeaders);
    for (const Header& h : req.fields()) FUZZ_CHECK(!h.name.empty() && inside(h.name, head) && inside(h.value, head));
    FUZZ_CHECK(!(req.chunked && req.content_length));
    FUZZ_CHECK(!req.content_length || *req.content_length <= limits.max_body);
    // The head alone parses the same way: nothing after it was looked at.
    Request again;
    const ParseResult r2 = parse_request(head, again, limits);
    FUZZ_CHECK(r2.complete() && r2.consumed == r.consumed);
    // Its strict prefixes are partial (the last one and the middle one, to stay fast).
    FUZZ_CHECK(parse_request(head.substr(0, head.size() - 1), again, limits).partial());
    FUZZ_CHECK(parse_request(head.substr(0, head.size() / 2), again, limits).partial());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // The first byte picks the limits: the defaults, or tiny ones so the 414/431/413 paths and
    // their boundaries are reached by short inputs.
    Limits limits;
    if (data[0] & 1) {
        limits.max_request_line = 16 + (data[0] >> 4);
        limits.max_header_bytes = 24 + (data[0] >> 2);
        limits.max_headers = data[0] >> 5;
        limits.max_body = data[0];
    }
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    Request req;
    const ParseResult r = parse_request(input, req, limits);
    switch (r.status) {
        case ParseStatus::complete:
            check_complete(input, r, req, limits);
            break;
        case ParseStatus::partial: {
            FUZZ_CHECK(r.consumed == 0);
            // Errors are never taken back: a prefix of a partial input is partial too.
            Request other;
            FUZZ_CHECK(parse_request(input.substr(0, input.size() / 2), other, limits).partial());
            break;
        }
        case ParseStatus::error: {
            FUZZ_CHECK(is_known_status(r.http_status) && !r.reason.empty());
            // More bytes cannot repair an error.
            std::string longer(input);
            longer += "\r\n\r\n";
            Request other;
            const ParseResult r2 = parse_request(longer, other, limits);
            FUZZ_CHECK(r2.error() && r2.http_status == r.http_status);
            break;
        }
    }
    return 0;
}
