#pragma once
// What the accept loop does when accept() fails for want of descriptors or memory (src/io, not
// installed): it backs off (kAcceptBackoff) and reports the shortage at most once a minute; when
// no descriptor has come free for kShedAfter, it sheds the connections waiting in the backlog,
// one at a time, through a reserve descriptor kept for that purpose, each with the server's
// refusal message, rather than leave them hanging with no answer.

#include <asyncio/core/platform.hpp>

#include <chrono>
#include <optional>

#include "server_state.hpp"

namespace asyncio {

/// Out of descriptors, how long the server may accept nothing at all before it sheds the
/// connections waiting in its backlog. Shorter would refuse clients that a connection closing a
/// moment later would have made room for; longer leaves them hanging with no answer.
inline constexpr auto kShedAfter = std::chrono::seconds(2);

[[nodiscard]] bool is_descriptor_shortage(int error) noexcept;
/// Out of descriptors, buffers or memory: retrying at once would spin.
[[nodiscard]] bool is_resource_shortage(int error) noexcept;
/// An error of one waiting connection (it gave up, a network error): go on accepting.
[[nodiscard]] bool is_transient(int error) noexcept;

enum class Shed {
    one,           ///< a waiting connection was refused (or had gone already)
    none_waiting,  ///< the backlog is empty
    impossible,    ///< no reserve descriptor, or accept failed even with it
};

/// Accepts one waiting connection on the reserve descriptor's slot and refuses it at once.
Shed shed_one(Server::State& state, Listener& listener);

/// A listener's spell of accept() failing for want of resources.
struct Shortage {
    std::optional<TimePoint> since;  ///< since when nothing could be accepted (empty: accepting fine)
    int reported_error = 0;          ///< the error reported last, at `reported_at`
    TimePoint reported_at{};
    bool others_ran = false;         ///< the ready tasks had a turn since shedding became due

    /// Accepting works again (or nothing is waiting).
    void end() noexcept {
        since.reset();
        others_ran = false;
    }
    /// Notes that accept() failed with `error`; reports it unless the same error was reported
    /// within the last minute.
    void note(int error, const Listener& listener);
    /// The shortage has lasted kShedAfter: the waiting connections are to be shed.
    [[nodiscard]] bool shedding_due() const;
};

}  // namespace asyncio
