#pragma once

#include <string_view>

namespace asyncio::http {

/// Whether `field` (an If-None-Match value: "*" or a list of entity-tags) matches `etag`, the
/// current entity-tag of the resource. If-None-Match compares weakly (RFC 9110 13.1.2): `W/"x"`
/// matches `"x"` and the other way round. An empty, absent or malformed field matches nothing
/// (the condition is then ignored, RFC 9110 13.1.2's "invalid" case).
///
///     if (http::if_none_match(request.header("If-None-Match"), "\"3f2a\"")) response.status = 304;
[[nodiscard]] bool if_none_match(std::string_view field, std::string_view etag) noexcept;

/// The opaque part of an entity-tag: `"x"` for both `W/"x"` and `"x"` (RFC 9110 8.8.3).
[[nodiscard]] std::string_view opaque_tag(std::string_view etag) noexcept;

}  // namespace asyncio::http
