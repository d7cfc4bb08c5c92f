#include <asyncio/io/detail/resolve_host.hpp>

#include <asyncio/core/to_thread.hpp>
#include <asyncio/io/detail/socket_ops.hpp>

#include <sys/socket.h>

#include <system_error>
#include <utility>

namespace asyncio::detail {

Task<std::vector<Address>> resolve_tcp_host(std::string host, std::uint16_t port, HostUse use) {
    std::vector<Address> addresses = resolve_numeric(host, port);
    if (!addresses.empty()) co_return addresses;
    auto lookup = [](std::string name, std::uint16_t number, HostUse purpose) {
        const bool passive = purpose == HostUse::listen;
        std::string error;
        auto found = resolve(name, number, SOCK_STREAM, passive, error);
        if (found.empty()) {
            const auto code = passive ? std::errc::address_not_available : std::errc::host_unreachable;
            throw std::system_error(std::make_error_code(code), error);
        }
        return found;
    };
    co_return co_await to_thread(lookup, std::move(host), port, use);
}

}  // namespace asyncio::detail
