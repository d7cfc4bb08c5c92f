#include "accept_shedding.hpp"

#include <asyncio/core/loop.hpp>
#include <asyncio/io/detail/socket_ops.hpp>

#include <cerrno>
#include <string>
#include <string_view>
#include <system_error>

namespace asyncio {

namespace {

/// The same accept error is reported again after this long (not at every retry).
constexpr auto kReportInterval = std::chrono::seconds(60);
/// At most this much of what a shed client sent is read (and dropped) before its socket closes.
constexpr std::size_t kShedDrainLimit = 16 * 1024;

/// Sends `message` and a FIN, reads and drops what the client had already sent (closing with
/// unread data would send a reset, which can destroy the message before the client reads it),
/// then closes. Never waits: the socket is non-blocking, and what has not arrived yet is not
/// waited for.
void refuse(int fd, std::string_view message) noexcept {
    if (!message.empty()) (void)detail::send(fd, message.data(), message.size());
    (void)detail::shutdown_write(fd);
    char sink[512];
    for (std::size_t drained = 0; drained < kShedDrainLimit;) {
        const detail::IoResult got = detail::receive(fd, sink, sizeof sink);
        if (got.error != 0 || got.value == 0) break;
        drained += static_cast<std::size_t>(got.value);
    }
    detail::close_socket(fd);
}

}  // namespace

bool is_descriptor_shortage(int error) noexcept { return error == EMFILE || error == ENFILE; }
bool is_resource_shortage(int error) noexcept {
    return is_descriptor_shortage(error) || error == ENOBUFS || error == ENOMEM;
}
bool is_transient(int error) noexcept {
    // The peer gave up before we accepted, or the kernel reports a network error of that one
    // connection (accept(2) lists these as "treat like EAGAIN").
#ifdef ENONET  // Linux's; newlib (a board, ESP-IDF) has no such value
    if (error == ENONET) return true;
#endif
    return error == ECONNABORTED || error == EINTR || error == EPROTO || error == EPERM || error == ENETDOWN ||
           error == ENOPROTOOPT || error == EHOSTDOWN || error == EHOSTUNREACH || error == EOPNOTSUPP ||
           error == ENETUNREACH;
}

/// Accepts one waiting connection on the reserve descriptor's slot and refuses it at once.
Shed shed_one(Server::State& state, Listener& listener) {
    if (!state.reserve.held()) {
        state.reserve.take(state.reserve_family);  // given up earlier: maybe there is room now
        return Shed::impossible;
    }
    state.reserve.release();
    Address peer;
    const detail::IoResult result = detail::accept(listener.io.fd(), &peer);
    Shed outcome = Shed::impossible;
    if (result.error == 0) {
        refuse(static_cast<int>(result.value), state.refusal);
        ++state.stats.shed;
        outcome = Shed::one;
    } else if (result.would_block()) {
        outcome = Shed::none_waiting;
    } else if (is_transient(result.error)) {
        outcome = Shed::one;
    }
    state.reserve.take(state.reserve_family);
    return outcome;
}

void Shortage::note(int error, const Listener& listener) {
    const TimePoint now = get_event_loop().time();
    if (!since) since = now;
    if (error == reported_error && now - reported_at < kReportInterval) return;
    reported_error = error;
    reported_at = now;
    const std::string retry = "retrying every " + std::to_string(kAcceptBackoff.count()) + " ms";
    const std::string hint = is_descriptor_shortage(error)
                                 ? "; new connections wait, " + retry + ", shed after " +
                                       std::to_string(kShedAfter.count()) + " s without room"
                             : is_resource_shortage(error) ? "; " + retry
                                                           : "";
    detail::report("accept on " + listener.address.to_string() + ": " +
                   std::system_category().message(error) + hint);
}

bool Shortage::shedding_due() const {
    return since && get_event_loop().time() - *since >= std::chrono::duration_cast<Duration>(kShedAfter);
}

}  // namespace asyncio
