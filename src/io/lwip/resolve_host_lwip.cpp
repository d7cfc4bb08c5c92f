// open_connection() and start_server() on a board: numeric IPv4 hosts only. The hosted version
// (src/io/resolve_host.cpp) looks names up on a worker thread, which a bare-metal board has not.
#include <asyncio/io/detail/resolve_host.hpp>
#include <asyncio/io/detail/socket_ops.hpp>

#include <system_error>

namespace asyncio::detail {

Task<std::vector<Address>> resolve_tcp_host(std::string host, std::uint16_t port, HostUse use) {
    std::string error;
    std::vector<Address> addresses = resolve(host, port, SOCK_STREAM, use == HostUse::listen, error);
    if (addresses.empty()) {
        const auto code = use == HostUse::listen ? std::errc::address_not_available : std::errc::host_unreachable;
        throw std::system_error(std::make_error_code(code), error);
    }
    co_return addresses;
}

}  // namespace asyncio::detail
