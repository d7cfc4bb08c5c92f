#include <asyncio/http/router.hpp>

namespace asyncio::http {

OwnedRequest::OwnedRequest(const ServerRequest& request)
    : version_minor(request.version_minor),
      method(request.method),
      path(request.path),
      query(request.query),
      peer(request.peer) {
    for (const Header& field : request.fields()) headers.emplace_back(field.name, field.value);
}

Request OwnedRequest::view() const noexcept {
    Request request;
    request.method = method;
    request.target = path;
    request.path = path;
    request.query = query;
    request.version_minor = version_minor;
    request.upgrade = has_token(header("Connection"), "upgrade");
    for (const auto& [name, value] : headers) {
        if (request.header_count == kMaxHeaders) break;
        request.headers[request.header_count++] = Header{name, value};
    }
    return request;
}

std::string_view OwnedRequest::header(std::string_view name) const noexcept {
    for (const auto& [field, value] : headers) {
        if (iequals(field, name)) return value;
    }
    return {};
}

namespace {
/// The methods RFC 9110 9.3 defines, and PATCH (RFC 5789): recognised even where not routed,
/// so they get 405 rather than 501.
constexpr std::string_view kStandardMethods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                 "CONNECT", "OPTIONS", "TRACE", "PATCH"};
}  // namespace

void Router::note_method(const std::string& method) {
    for (const std::string& known : m_methods) {
        if (known == method) return;
    }
    m_methods.push_back(method);
}

bool Router::knows_method(std::string_view method) const noexcept {
    for (const std::string_view standard : kStandardMethods) {
        if (method == standard) return true;
    }
    for (const std::string& routed : m_methods) {
        if (method == routed) return true;
    }
    return false;
}

std::string Router::allow_list(const std::vector<std::string_view>& methods) {
    std::string allow;
    for (const std::string_view method : methods) {
        if (method == "HEAD" || method == "OPTIONS") continue;  // placed below, once
        allow.append(method).append(", ");
        if (method == "GET") allow.append("HEAD, ");
    }
    allow.append("OPTIONS");
    return allow;
}

Router::Endpoint& Router::add(std::string method, std::string path) {
    note_method(method);
    Endpoints& endpoints = m_exact[std::move(path)];
    endpoints.push_back(Endpoint{std::move(method), {}, {}, {}});
    return endpoints.back();
}

Router& Router::route(std::string method, std::string path, Handler handler) {
    add(std::move(method), std::move(path)).handler = std::move(handler);
    return *this;
}

Router& Router::route_async(std::string method, std::string path, AsyncHandler handler) {
    add(std::move(method), std::move(path)).async_handler = std::move(handler);
    return *this;
}

Router& Router::stream(std::string path, StreamHandler handler) {
    add("GET", std::move(path)).stream_handler = std::move(handler);
    return *this;
}

Router& Router::get_prefix(std::string prefix, Handler handler) {
    note_method("GET");
    m_prefixes.emplace_back(std::move(prefix), Endpoints{Endpoint{"GET", std::move(handler), {}, {}}});
    return *this;
}

const Router::Endpoints* Router::find_path(std::string_view path) const {
    if (auto found = m_exact.find(path); found != m_exact.end()) return &found->second;
    for (const auto& [prefix, endpoints] : m_prefixes) {
        if (path.starts_with(prefix)) return &endpoints;
    }
    return nullptr;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
    Match result;
    if (!knows_method(method)) {
        result.status = 501;
        return result;
    }
    if (path == "*") {
        // The asterisk-form asks about the server as a whole (RFC 9110 9.3.7); the parser lets
        // it through for OPTIONS only.
        result.status = method == "OPTIONS" ? 204 : 400;
        if (result.status == 204) result.allow = allow_list({m_methods.begin(), m_methods.end()});
        return result;
    }
    const Endpoints* endpoints = find_path(path);
    if (endpoints == nullptr) {
        result.status = 404;
        return result;
    }
    const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
    for (const Endpoint& endpoint : *endpoints) {
        if (endpoint.method != wanted) continue;
        if (endpoint.handler) result.handler = &endpoint.handler;
        if (endpoint.async_handler) result.async_handler = &endpoint.async_handler;
        if (endpoint.stream_handler) result.stream_handler = &endpoint.stream_handler;
        return result;
    }
    std::vector<std::string_view> methods;
    for (const Endpoint& endpoint : *endpoints) methods.push_back(endpoint.method);
    result.allow = allow_list(methods);
    result.status = method == "OPTIONS" ? 204 : 405;
    return result;
}

}  // namespace asyncio::http
