#pragma once

#include <cerrno>
#include <system_error>

namespace asyncio {

/// CPython's ConnectionError, for the std::system_error a Stream throws: whether an error means
/// the peer, or the path to it, is gone (ConnectionResetError, BrokenPipeError,
/// ConnectionAbortedError, ConnectionRefusedError, and the network being unreachable), rather than
/// a failure worth reporting. A server closes such a connection quietly: a client that resets or
/// vanishes is not a fault of the server.
///
/// True for ECONNRESET, EPIPE, ECONNABORTED, ECONNREFUSED, ENOTCONN, ETIMEDOUT, EHOSTUNREACH,
/// ENETUNREACH, ENETDOWN and ENETRESET in the generic or system category; false for any other
/// value or category (a TlsError is no std::system_error at all).
[[nodiscard]] inline bool is_connection_error(const std::error_code& error) noexcept {
    if (error.category() != std::generic_category() && error.category() != std::system_category()) return false;
    switch (error.value()) {
        case ECONNRESET:
        case EPIPE:
        case ECONNABORTED:
        case ECONNREFUSED:
        case ENOTCONN:
        case ETIMEDOUT:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case ENETDOWN:
        case ENETRESET:
            return true;
        default:
            return false;
    }
}

/// is_connection_error() of the exception's code().
[[nodiscard]] inline bool is_connection_error(const std::system_error& error) noexcept {
    return is_connection_error(error.code());
}

}  // namespace asyncio
