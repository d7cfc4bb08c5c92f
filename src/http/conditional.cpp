#include <asyncio/http/conditional.hpp>

namespace asyncio::http {

namespace {

bool is_list_space(char c) noexcept { return c == ' ' || c == '\t' || c == ','; }

/// Takes one entity-tag (`W/"..."` or `"..."`) from the front of `list`; empty when the list
/// does not start with one (etagc allows commas inside the quotes, so the list cannot simply be
/// split at commas).
std::string_view take_entity_tag(std::string_view& list) noexcept {
    std::size_t begin = 0;
    if (list.starts_with("W/")) begin = 2;
    if (list.size() <= begin || list[begin] != '"') return {};
    const std::size_t close = list.find('"', begin + 1);
    if (close == std::string_view::npos) return {};
    const std::string_view tag = list.substr(0, close + 1);
    list.remove_prefix(close + 1);
    return tag;
}

}  // namespace

std::string_view opaque_tag(std::string_view etag) noexcept {
    if (etag.starts_with("W/")) etag.remove_prefix(2);
    return etag;
}

bool if_none_match(std::string_view field, std::string_view etag) noexcept {
    while (!field.empty() && is_list_space(field.front())) field.remove_prefix(1);
    while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
    if (field == "*") return true;
    const std::string_view wanted = opaque_tag(etag);
    while (!field.empty()) {
        const std::string_view tag = take_entity_tag(field);
        if (tag.empty()) return false;  // malformed: the whole field is ignored
        if (opaque_tag(tag) == wanted) return true;
        while (!field.empty() && is_list_space(field.front())) field.remove_prefix(1);
    }
    return false;
}

}  // namespace asyncio::http
