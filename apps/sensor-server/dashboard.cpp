// GET / (the dashboard, rendered with the current values so it shows without JavaScript) and
// /static/* (assets compiled into the binary, gzip-compressed at build time).
#include "app.hpp"
#include "web_assets.hpp"

#include <asyncio/http/request_parser.hpp>

#include <charconv>
#include <ctime>
#include <string>
#include <string_view>

namespace sensor_server {

namespace {

// Scripts and styles come only from this server: no inline code, no CDN.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

void append_html_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
            case '&': out.append("&amp;"); break;
            case '<': out.append("&lt;"); break;
            case '>': out.append("&gt;"); break;
            case '"': out.append("&quot;"); break;
            case '\'': out.append("&#39;"); break;
            default: out.push_back(c);
        }
    }
}

std::string shortest_number(double value) {
    char text[32];
    return std::string(text, std::to_chars(text, text + sizeof text, value).ptr);
}

std::string format_value(const Reading& reading, std::string_view name) {
    const auto value = reading.get(name);
    return value ? shortest_number(*value) : "\u2014";  // an em dash: this sensor lacks it
}

std::string iso_time(std::int64_t unix_ms) {
    const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

/// Replaces each {{name}} in `page` by lookup(name), HTML-escaped; unknown names stay visible.
template <class Lookup>
std::string render(std::string_view page, Lookup lookup) {
    std::string out;
    out.reserve(page.size() + 256);
    for (std::size_t at = 0;;) {
        const std::size_t open = page.find("{{", at);
        const std::size_t close = open == std::string_view::npos ? open : page.find("}}", open + 2);
        if (close == std::string_view::npos) {
            out.append(page.substr(at));
            return out;
        }
        out.append(page.substr(at, open - at));
        const std::string_view name = page.substr(open + 2, close - open - 2);
        if (auto value = lookup(name)) {
            append_html_escaped(out, *value);
        } else {
            out.append(page.substr(open, close + 2 - open));
        }
        at = close + 2;
    }
}

}  // namespace

void App::dashboard(const http::ServerRequest&, http::Response& response) const {
    const Asset* page = find_asset("index.html");
    const Reading& latest = m_sampler.history().latest().reading;
    response.html(render(page->body, [&](std::string_view name) -> std::optional<std::string> {
        if (name == "temperature_c" || name == "humidity_pct" || name == "pressure_hpa") return format_value(latest, name);
        if (name == "ts_iso") return iso_time(latest.ts_ms);
        if (name == "sensor") return std::string(m_sampler.sensor().name());
        if (name == "interval_s") return shortest_number(m_options.interval_s);
        if (name == "hostname") return m_network.hostname;
        if (name == "ip") return m_network.ip;
        if (name == "netmask") return m_network.netmask;
        if (name == "gateway") return m_network.gateway;
        if (name == "dns") return m_network.dns;
        return std::nullopt;
    }));
    response.set_header("Content-Security-Policy", kContentSecurityPolicy);
    add_no_store_headers(response);
}

void App::static_asset(const http::ServerRequest& request, http::Response& response) const {
    const Asset* asset = find_asset(request.path);  // exact match only: no traversal possible
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
    const std::string_view if_none_match = request.header("If-None-Match");
    if (!if_none_match.empty() && (if_none_match == etag || if_none_match == "*")) {
        response.status = 304;
        return;
    }
    response.set_content_type(asset->content_type);
    if (gzip) {
        response.set_header("Content-Encoding", "gzip");
        response.body().assign(asset->gzip_body);
    } else {
        response.body().assign(asset->body);
    }
}

}  // namespace sensor_server
