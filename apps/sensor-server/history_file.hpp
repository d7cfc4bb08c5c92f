#pragma once
// Linux only: --history-file, the history (what /api/history and the chart show) kept in a file
// across restarts. A board has no file system: its main leaves Options::history_file empty.
//
// The file is JSON lines (one object per line, LF), readable with jq or any JSON library:
//
//   {"format":"sensor-server history","version":1,"sensor":"sim"}
//   {"id":41,"ts":1732550000000,"temperature_c":21.53,"humidity_pct":45.2,"pressure_hpa":1013.25}
//   {"id":42,"ts":1732550001000,"temperature_c":21.54,"humidity_pct":45.1,"pressure_hpa":1013.25}
//
// The first line says what the file is and whose readings it holds (--sensor, as /api/device
// names it); each other line is a reading as /api/history serves it (numbers in their shortest
// exact text, so values and times come back bit for bit; null for a value that was not a number)
// with its id first: oldest first, ids consecutive. The ids go on after a restart, so a browser
// that reconnects to /events with the Last-Event-ID of the run before gets what it missed.
//
// Lifetime of the file:
//   start     HistoryFile() checks the folder takes new files (exit 2 otherwise); load() reads
//             the file. Missing: a first start. Unreadable, damaged, or another sensor's: one
//             line on stderr, the readings before the damage (or none), and the file is renamed
//             PATH.rejected (replacing an older one) so that it is never overwritten; the server
//             then writes a new PATH. If even the rename fails, nothing is written in this run.
//   running   run() rewrites the whole file every 10 s if a reading came since the last write:
//             PATH.tmp in the same folder, fsync, rename over PATH (then fsync the folder), so
//             PATH is always a complete file, the old one or the new one. A reboot or a kill
//             loses at most the last 10 s.
//   stopping  stop() (SIGINT/SIGTERM) makes run() write once more and return.

#include "history.hpp"

#include <asyncio/core/event.hpp>
#include <asyncio/core/platform.hpp>
#include <asyncio/core/task.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sensor_server {

class HistoryFile {
public:
    /// `path` from --history-file, `sensor` the running source's name (sim, fixed:21.5, linux).
    /// Throws std::invalid_argument (a bad flag: exit 2) if PATH is a folder or other non-file,
    /// or its folder does not take new files (PATH.tmp is created and removed to find out).
    HistoryFile(std::string path, std::string sensor);

    /// The readings kept in the file, oldest first: the newest `keep` of them (--history). See
    /// the top of this file for what a missing, unreadable, damaged or foreign file gives.
    [[nodiscard]] std::vector<Sample> load(std::size_t keep);

    /// Writes `history` every `every` when it has changed, until stop(); then once more, and
    /// returns. Never throws (but CancelledError): a write that fails is said on stderr, once
    /// until one succeeds again, and tried again at the next turn.
    [[nodiscard]] asyncio::Task<> run(const History& history, asyncio::Duration every);
    /// Makes run() write a last time and return (a graceful shutdown).
    void stop() noexcept { m_stop.set(); }

    /// Writes `history` now if a reading came since the last write. The text is made on the
    /// loop's thread, a thousand readings (about a millisecond) at a time with a yield between,
    /// so a long --history never holds the loop; writing, fsync and rename run on a worker
    /// thread (asyncio::to_thread: fsync on an SD card can take a second).
    [[nodiscard]] asyncio::Task<> save(const History& history);

    [[nodiscard]] const std::string& path() const noexcept { return m_path; }

private:
    /// Renames the file PATH.rejected after `problem` (said on stderr with `kept_readings`).
    void reject(const std::string& problem, std::size_t kept_readings);

    std::string m_path;
    std::string m_sensor;
    bool m_saving = true;          ///< false when a rejected file could not be moved aside
    bool m_failing = false;        ///< the last write failed (said once)
    std::uint64_t m_saved_id = 0;  ///< History::last_id() at the last write
    asyncio::Event m_stop;
};

}  // namespace sensor_server
