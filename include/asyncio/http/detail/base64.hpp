#pragma once
// A detail of the http layer (asyncio/http/detail/), not part of its API: the WebSocket handshake
// uses it. It may change without notice.
//
// Base64 (RFC 4648 section 4, standard alphabet, with padding), for the WebSocket handshake
// keys. Never throws except std::bad_alloc from the output string.
//
//   std::string s = http::base64_encode("hi");            // "aGk="
//   std::string raw;
//   bool ok = http::base64_decode("aGk=", raw);             // raw == "hi"

#include <string>
#include <string_view>

namespace asyncio::http {

/// `bytes` as base64 text, padded with '=' to a multiple of 4 characters.
[[nodiscard]] std::string base64_encode(std::string_view bytes);

/// Decodes strict base64 into `out` (replacing its content): the length must be a multiple of
/// 4, padding only at the end, no whitespace, and unused bits of the last character zero.
/// Returns false (and leaves `out` unspecified) on anything else.
[[nodiscard]] bool base64_decode(std::string_view text, std::string& out);

}  // namespace asyncio::http
