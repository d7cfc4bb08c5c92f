#pragma once
// Helpers shared by the http parser tests.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace asyncio::http::test {

/// A copy of some bytes in a heap block of exactly that size, so that under AddressSanitizer
/// reading one byte past the end crashes (a std::string has a NUL and spare capacity there).
/// picohttpparser puts its inputs against a PROT_NONE page for the same reason.
class ExactBuffer {
public:
    explicit ExactBuffer(std::string_view bytes)
        : m_data(new char[bytes.empty() ? 1 : bytes.size()]), m_size(bytes.size()) {
        if (!bytes.empty()) std::memcpy(m_data.get(), bytes.data(), bytes.size());
    }
    std::string_view view() const noexcept { return {m_data.get(), m_size}; }

private:
    std::unique_ptr<char[]> m_data;
    std::size_t m_size;
};

}  // namespace asyncio::http::test
