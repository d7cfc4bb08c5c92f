#pragma once
// Answering with a compiled-in asset (an Asset of a file embed_assets() generated): validator,
// caching and the gzip body for clients that take it.

#include "app.hpp"

#include <asyncio/http/conditional.hpp>
#include <asyncio/http/request_parser.hpp>

#include <string_view>

namespace sensor_server {

/// Content-Security-Policy of the pages: scripts and styles come only from this server, no
/// inline code, no CDN.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// A compiled-in asset (nullptr or a template: 404) with its validator and caching headers.
template <class Asset>
void serve_asset(const Asset* asset, const http::ServerRequest& request, http::Response& response) {
    if (asset == nullptr || asset->gzip_body.empty()) {
        response.error(404);
        add_security_headers(response);
        return;
    }
    const bool gzip = http::has_token(request.header("Accept-Encoding"), "gzip");
    const std::string_view etag = gzip ? asset->gzip_etag : asset->etag;
    response.set_header("ETag", etag);
    response.set_header("Vary", "Accept-Encoding");
    response.set_header("Cache-Control", "no-cache");  // revalidate: a new build changes the ETag
    add_security_headers(response);
    if (http::if_none_match(request.header("If-None-Match"), etag)) {
        response.status = 304;  // with the ETag and caching headers above (RFC 9110 15.4.5)
        return;
    }
    response.set_content_type(asset->content_type);
    // Compiled in: sent from where it is, not copied into the response first.
    if (gzip) {
        response.set_header("Content-Encoding", "gzip");
        response.set_static_body(asset->gzip_body);
    } else {
        response.set_static_body(asset->body);
    }
}

}  // namespace sensor_server
