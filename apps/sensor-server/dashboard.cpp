// GET / (the dashboard, rendered with the current values so it shows without JavaScript) and
// /static/* (assets compiled into the binary, gzip-compressed at build time), and /favicon.ico.
#include "app.hpp"
#include "asset_response.hpp"
#include "number_text.hpp"
#include "quantities.hpp"
#include "version.hpp"
#include "web_assets.hpp"

#include <asyncio/http/conditional.hpp>
#include <asyncio/http/request_parser.hpp>
#include <asyncio/http/utc_time.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sensor_server {

namespace {

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

/// One card per quantity of `reading`, in its order, with label, unit and fixed decimals from
/// the catalogue: the page shows real values with JavaScript off, whatever the sensor source.
/// app.js takes each card's data-unit and data-decimals from here.
std::string cards_html(const Reading& reading, const std::vector<AlertRule>& rules) {
    std::string out;
    std::size_t extra = 0;  // cards without a colour of their own take the extra tones in turn
    for (std::size_t i = 0; i < reading.count; ++i) {
        const QuantityInfo q = describe_quantity(reading.quantities[i].name);
        std::string key;
        append_html_escaped(key, q.key);
        out.append("<article class=\"card\" data-q=\"").append(key).append("\" data-unit=\"");
        append_html_escaped(out, q.unit);
        out.append("\" data-decimals=\"").append(std::to_string(q.decimals)).append("\"");
        if (q.tone.empty()) out.append(" data-tone=\"").append(std::to_string(extra++ % 4)).append("\"");
        bool alerting = false;
        for (const AlertRule& rule : rules) {
            if (rule.key == q.key && rule.broken_by(reading.quantities[i].value)) alerting = true;
        }
        if (alerting) out.append(" data-alert=\"on\"");
        out.append(" aria-labelledby=\"l-").append(key).append("\"><h3 class=\"label\" id=\"l-").append(key).append("\">");
        if (!q.icon.empty()) {
            out.append("<svg class=\"icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\"><path d=\"").append(q.icon).append("\"/></svg>");
        }
        out.append("<span>");
        append_html_escaped(out, q.label);
        out.append("</span></h3><p class=\"value\"><span class=\"num\" id=\"").append(key).append("\">");
        append_html_escaped(out, fixed_text(reading.quantities[i].value, q.decimals));
        out.append("</span>");
        if (!q.unit.empty()) {
            out.append(" <span class=\"unit\">");
            append_html_escaped(out, q.unit);
            out.append("</span>");
        }
        out.append("</p></article>");
    }
    return out;
}

/// "3 d 4 h", "2 h 5 min", "4 min 3 s", "12 s": what the panel shows (app.js formats it alike).
std::string uptime_text(double seconds) {
    const auto s = static_cast<long long>(seconds > 0 ? seconds : 0);
    char text[96];
    if (s >= 86400) {
        std::snprintf(text, sizeof text, "%lld d %lld h", s / 86400, s / 3600 % 24);
    } else if (s >= 3600) {
        std::snprintf(text, sizeof text, "%lld h %lld min", s / 3600, s / 60 % 60);
    } else if (s >= 60) {
        std::snprintf(text, sizeof text, "%lld min %lld s", s / 60, s % 60);
    } else {
        std::snprintf(text, sizeof text, "%lld s", s);
    }
    return text;
}

/// "123.4 KiB" (app.js formats it alike).
std::string kib_text(std::size_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
    return text;
}

/// Replaces each {{name}} in `page` by lookup(name), HTML-escaped, and each {{html:name}} by
/// lookup("html:name") as it is (markup the server built); unknown names stay visible.
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
            if (name.starts_with("html:")) {
                out.append(*value);
            } else {
                append_html_escaped(out, *value);
            }
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
    const NetworkInfo network = this->network();
    const std::optional<std::size_t> free_heap = free_heap_bytes();
    const double uptime = uptime_s();
    response.html(render(page->body, [&](std::string_view name) -> std::optional<std::string> {
        if (name == "html:cards") return cards_html(latest, m_options.alerts);
        if (name == "alerts") {
            std::string rules;
            for (const AlertRule& rule : m_options.alerts) rules.append(rules.empty() ? "" : ";").append(rule.text());
            return rules;
        }
        if (name == "sensor_note") return std::string(m_sampler.sensor().note());
        if (name == "sensor_note_hidden") return m_sampler.sensor().note().empty() ? std::string("hidden") : std::string();
        if (name == "ts_iso") return iso_time(latest.ts_ms);
        if (name == "history") return std::to_string(m_options.history);
        if (name == "sensor") return std::string(m_sampler.sensor().name());
        if (name == "interval_s") return number_text(interval_s());
        if (name == "fleet_hidden") return m_options.fleet ? std::string() : std::string("hidden");
        if (name == "hostname") return network.hostname;
        if (name == "ip") return network.ip;
        if (name == "netmask") return network.netmask;
        if (name == "gateway") return network.gateway;
        if (name == "dns") return network.dns;
        if (name == "platform") return m_device.platform;
        if (name == "version") return std::string(server_version());
        if (name == "uptime_s") return number_text(std::floor(uptime));
        if (name == "uptime") return uptime_text(uptime);
        if (name == "free_heap") return free_heap ? kib_text(*free_heap) : std::string();
        if (name == "free_heap_hidden") return free_heap ? std::string() : std::string("hidden");
        return std::nullopt;
    }));
    response.set_header("Content-Security-Policy", kContentSecurityPolicy);
    add_no_store_headers(response);
}


void App::static_asset(const http::ServerRequest& request, http::Response& response) const {
    serve_asset(find_asset(request.path), request, response);  // exact match only: no traversal possible
}

// Browsers ask for /favicon.ico on their own (for pages without <link rel="icon">: /api/sensor or
// /metrics opened in a tab). It gets the SVG itself, not a 301 to /static/favicon.svg: browsers
// go by the Content-Type, not the name, so one request does, and a permanent redirect would stay
// cached in browsers even if a real .ico came later. Same ETag and caching as the static copy.
void App::favicon(const http::ServerRequest& request, http::Response& response) const {
    serve_asset(find_asset("/static/favicon.svg"), request, response);
}

}  // namespace sensor_server
