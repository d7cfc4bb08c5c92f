#pragma once
// A TCP host, numeric or a name, to its addresses: what open_connection and start_server share.
#include <asyncio/core/task.hpp>
#include <asyncio/io/address.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace asyncio::detail {

enum class HostUse { connect, listen };

/// A numeric host is parsed at once; a name is looked up with getaddrinfo() on a worker thread,
/// so the loop never blocks on DNS. Throws std::system_error when the name does not resolve
/// (host_unreachable to connect, address_not_available to listen).
Task<std::vector<Address>> resolve_tcp_host(std::string host, std::uint16_t port, HostUse use);

}  // namespace asyncio::detail
