// Linux only: --history-file (the format and the rules are in history_file.hpp).
#include "history_file.hpp"

#include "json_text.hpp"
#include "number_text.hpp"

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/core/to_thread.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

namespace sensor_server {

namespace {

constexpr std::string_view kFormat = "sensor-server history";
constexpr int kVersion = 1;
/// A reading's line is under 300 bytes: a longer one is damage, not a reading.
constexpr std::size_t kMaxLine = 4096;
/// Readings turned into text per step of the loop when saving (about a millisecond).
constexpr std::size_t kReadingsPerStep = 1000;
/// Distinct quantity names a file may bring (a reading has at most Reading::kMaxQuantities).
constexpr std::size_t kMaxNames = 64;

std::string error_text(int error) { return std::error_code(error, std::generic_category()).message(); }

/// The folder of `path`, for messages and the fsync after a rename.
std::string folder_of(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

/// A Reading names its quantities by string_view (normally literals of the sensor source): names
/// read from the file are kept here for the life of the process. A few strings at most.
std::string_view stored_name(std::string_view name) {
    static std::deque<std::string> names;
    for (const std::string& known : names) {
        if (known == name) return known;
    }
    if (names.size() >= kMaxNames) return {};
    return names.emplace_back(name);
}

bool is_quantity_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64) return false;
    for (const char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

// ---- a flat JSON object: {"key":"text"|number|null,...}, all this file ever holds ----

struct Field {
    enum Kind { kString, kNumber, kNull } kind = kNull;
    std::string text;  ///< the string's value, or the number as written
};

class ObjectParser {
public:
    explicit ObjectParser(std::string_view text) : m_text(text) {}

    /// Calls on_field(key, field) for each member in order; false (and problem()) at the first
    /// thing that is not a flat JSON object, or when on_field returns false.
    template <class OnField>
    bool parse(OnField on_field) {
        skip_space();
        if (!take('{')) return fail("not a JSON object");
        skip_space();
        if (take('}')) return at_end();
        for (;;) {
            std::string key;
            Field field;
            skip_space();
            if (!string(key)) return fail("a quoted key was expected");
            skip_space();
            if (!take(':')) return fail("':' was expected after \"" + key + "\"");
            skip_space();
            if (!value(field)) return fail("a string, number or null was expected after \"" + key + "\"");
            std::string problem;
            if (!on_field(key, field, problem)) return fail(problem);
            skip_space();
            if (take(',')) continue;
            if (take('}')) return at_end();
            return fail("',' or '}' was expected");
        }
    }
    [[nodiscard]] const std::string& problem() const noexcept { return m_problem; }

private:
    bool fail(std::string problem) {
        m_problem = std::move(problem);
        return false;
    }
    bool at_end() {
        skip_space();
        return m_at == m_text.size() || fail("text after the object");
    }
    void skip_space() {
        while (m_at < m_text.size() && (m_text[m_at] == ' ' || m_text[m_at] == '\t' || m_text[m_at] == '\r')) ++m_at;
    }
    bool take(char c) {
        if (m_at < m_text.size() && m_text[m_at] == c) {
            ++m_at;
            return true;
        }
        return false;
    }
    bool string(std::string& out) {
        if (!take('"')) return false;
        while (m_at < m_text.size()) {
            const char c = m_text[m_at++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (m_at >= m_text.size()) return false;
            const char e = m_text[m_at++];
            switch (e) {
                case '"': case '\\': case '/': out.push_back(e); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'u': {  // what append_json_string writes: \u00XX for control characters
                    unsigned code = 0;
                    const std::string_view hex = m_text.substr(m_at, 4);
                    const auto [end, error] = std::from_chars(hex.data(), hex.data() + hex.size(), code, 16);
                    if (hex.size() != 4 || error != std::errc{} || end != hex.data() + 4 || code >= 0x80) return false;
                    out.push_back(static_cast<char>(code));
                    m_at += 4;
                    break;
                }
                default: return false;
            }
        }
        return false;
    }
    bool value(Field& field) {
        if (m_at < m_text.size() && m_text[m_at] == '"') {
            field.kind = Field::kString;
            return string(field.text);
        }
        if (m_text.substr(m_at, 4) == "null") {
            field.kind = Field::kNull;
            m_at += 4;
            return true;
        }
        const std::size_t start = m_at;
        while (m_at < m_text.size() && std::string_view("-+.eE0123456789").find(m_text[m_at]) != std::string_view::npos) {
            ++m_at;
        }
        field.kind = Field::kNumber;
        field.text = std::string(m_text.substr(start, m_at - start));
        return !field.text.empty();
    }

    std::string_view m_text;
    std::size_t m_at = 0;
    std::string m_problem;
};

template <class Integer>
bool parse_integer(const Field& field, Integer& value) {
    if (field.kind != Field::kNumber) return false;
    const auto [end, error] = std::from_chars(field.text.data(), field.text.data() + field.text.size(), value);
    return error == std::errc{} && end == field.text.data() + field.text.size();
}

/// The first line: the file's kind, its format version and the sensor whose readings follow.
/// Empty if it is this kind of file, else what is wrong. `sensor` gets the sensor's name.
std::string check_header(std::string_view line, std::string& sensor) {
    bool is_history = false;
    int version = 0;
    bool has_sensor = false;
    ObjectParser parser(line);
    const bool parsed = parser.parse([&](const std::string& key, const Field& field, std::string&) {
        if (key == "format") is_history = field.kind == Field::kString && field.text == kFormat;
        if (key == "version" && !parse_integer(field, version)) version = -1;
        if (key == "sensor" && field.kind == Field::kString) {
            sensor = field.text;
            has_sensor = true;
        }
        return true;  // other members: a later version's, ignored
    });
    if (!parsed || !is_history) {
        return "it is not a sensor-server history file (its first line is not {\"format\":\"sensor-server history\",...})";
    }
    if (version != kVersion) return "it is in another version of the format than this server's (" + std::to_string(kVersion) + ")";
    if (!has_sensor) return "its first line names no sensor";
    return {};
}

/// One reading's line into `sample`; empty if it is one, else what is wrong.
std::string parse_reading(std::string_view line, Sample& sample) {
    sample = Sample{};
    bool has_id = false;
    bool has_ts = false;
    ObjectParser parser(line);
    const bool parsed = parser.parse([&](const std::string& key, const Field& field, std::string& problem) {
        if (key == "id") {
            if (has_id || !parse_integer(field, sample.id) || sample.id == 0) {
                problem = "\"id\" is not a whole number from 1";
                return false;
            }
            has_id = true;
            return true;
        }
        if (key == "ts") {
            if (has_ts || !parse_integer(field, sample.reading.ts_ms)) {
                problem = "\"ts\" is not a time in Unix milliseconds";
                return false;
            }
            has_ts = true;
            return true;
        }
        if (!is_quantity_name(key)) {
            problem = "\"" + key.substr(0, 64) + "\" is not a quantity's name";
            return false;
        }
        double value = std::numeric_limits<double>::quiet_NaN();  // null: a value that was not a number
        if (field.kind == Field::kString || (field.kind == Field::kNumber && !parse_number(field.text, value))) {
            problem = "the value of \"" + key + "\" is not a number";
            return false;
        }
        if (sample.reading.get(key) || sample.reading.count == Reading::kMaxQuantities) {
            problem = "\"" + key + "\" is there twice, or there are too many quantities";
            return false;
        }
        const std::string_view name = stored_name(key);
        if (name.empty()) {
            problem = "too many different quantities";
            return false;
        }
        sample.reading.add(name, value);
        return true;
    });
    if (!parsed) return parser.problem();
    if (!has_id || !has_ts) return "it has no \"id\" or no \"ts\"";
    return {};
}

void append_header(std::string& out, std::string_view sensor) {
    out.append("{\"format\":");
    append_json_string(out, kFormat);
    out.append(",\"version\":");
    append_number(out, kVersion);
    out.append(",\"sensor\":");
    append_json_string(out, sensor);
    out.append("}\n");
}

void append_line(std::string& out, const Sample& sample) {
    out.append("{\"id\":");
    append_number(out, sample.id);
    const std::size_t brace = out.size();
    append_json(out, sample.reading);  // {"ts":...,"temperature_c":...}
    out[brace] = ',';
    out.push_back('\n');
}

/// Writes `text` to `path` so that `path` is always whole, the old file or the new one: a
/// temporary file in the same folder, fsync, rename, fsync of the folder (which makes the rename
/// itself durable). Runs on a worker thread. Empty if it worked, else what failed.
std::string write_atomically(const std::string& path, const std::string& text) {
    const std::string temporary = path + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return "cannot create " + temporary + " (" + error_text(errno) + ")";
    std::string failure;
    for (std::size_t written = 0; written < text.size();) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            failure = "cannot write " + temporary + " (" + error_text(errno) + ")";
            break;
        }
        written += static_cast<std::size_t>(n);
    }
    if (failure.empty() && ::fsync(fd) != 0) failure = "cannot fsync " + temporary + " (" + error_text(errno) + ")";
    if (::close(fd) != 0 && failure.empty()) failure = "cannot write " + temporary + " (" + error_text(errno) + ")";
    if (failure.empty() && ::rename(temporary.c_str(), path.c_str()) != 0) {
        failure = "cannot rename " + temporary + " to " + path + " (" + error_text(errno) + ")";
    }
    if (!failure.empty()) {
        ::unlink(temporary.c_str());
        return failure;
    }
    // The rename is on disk once the folder is: best effort (some file systems refuse it).
    const int folder = ::open(folder_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (folder >= 0) {
        ::fsync(folder);
        ::close(folder);
    }
    return {};
}

void say(const std::string& text) {
    std::fprintf(stderr, "sensor-server: %s\n", text.c_str());
    std::fflush(stderr);
}

}  // namespace

HistoryFile::HistoryFile(std::string path, std::string sensor) : m_path(std::move(path)), m_sensor(std::move(sensor)) {
    const std::string flag = "--history-file " + m_path;
    struct stat status {};
    if (::stat(m_path.c_str(), &status) == 0) {
        if (S_ISDIR(status.st_mode)) throw std::invalid_argument(flag + ": is a folder; give the name of a file in it");
        if (!S_ISREG(status.st_mode)) throw std::invalid_argument(flag + ": is not a regular file");
    } else if (errno != ENOENT) {
        throw std::invalid_argument(flag + ": " + error_text(errno));
    }
    // The folder must take new files (the temporary file of each write): said now, not in 10 s.
    const std::string temporary = m_path + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw std::invalid_argument(flag + ": cannot create files in " + folder_of(m_path) + " (" + error_text(errno) +
                                    "), so the history could not be kept");
    }
    ::close(fd);
    ::unlink(temporary.c_str());
}

void HistoryFile::reject(const std::string& problem, std::size_t kept_readings) {
    std::string text = "--history-file " + m_path + ": " + problem + ": ";
    text += kept_readings == 0 ? std::string("starting with an empty history")
                               : "starting with the " + std::to_string(kept_readings) + " readings before it";
    const std::string aside = m_path + ".rejected";
    if (::rename(m_path.c_str(), aside.c_str()) == 0) {
        say(text + "; the file is now " + aside + " and a new one will be written");
    } else {
        m_saving = false;
        say(text + "; it could not be renamed " + aside + " (" + error_text(errno) +
            "), so the history is not saved in this run (the file stays as it is)");
    }
}

std::vector<Sample> HistoryFile::load(std::size_t keep) {
    const int fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) reject("it cannot be read (" + error_text(errno) + ")", 0);
        return {};  // missing: a first start
    }
    std::deque<Sample> kept;  // the newest `keep`
    std::size_t line_number = 0;
    std::string problem;
    std::string line;
    std::uint64_t last_id = 0;
    bool header_seen = false;
    // Takes one line; false (and `problem`) at the first one that is not what it should be. A
    // wrong first line rejects the file whole: nothing after it is trusted.
    const auto take_line = [&](std::string_view text) {
        ++line_number;
        if (text.find_first_not_of(" \t\r") == std::string_view::npos) return true;  // blank
        if (!header_seen) {
            header_seen = true;
            std::string sensor;
            problem = check_header(text, sensor);
            if (problem.empty() && sensor != m_sensor) {
                problem = "it holds the readings of --sensor " + sensor + ", not of " + m_sensor;
            }
            return problem.empty();
        }
        Sample sample;
        problem = parse_reading(text, sample);
        if (problem.empty() && last_id != 0 && sample.id != last_id + 1) {
            problem = "ids do not follow on (" + std::to_string(last_id) + " then " + std::to_string(sample.id) + ")";
        }
        if (!problem.empty()) {
            problem = "line " + std::to_string(line_number) + " is damaged (" + problem + ")";
            return false;
        }
        last_id = sample.id;
        kept.push_back(sample);
        if (kept.size() > keep) kept.pop_front();
        return true;
    };
    char buffer[65536];
    bool ok = true;
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            problem = "it cannot be read (" + error_text(errno) + ")";
            ok = false;
            break;
        }
        if (n == 0) break;
        for (std::string_view rest(buffer, static_cast<std::size_t>(n)); ok && !rest.empty();) {
            const std::size_t end = rest.find('\n');
            line.append(rest.substr(0, end));
            if (line.size() > kMaxLine) {
                problem = "line " + std::to_string(line_number + 1) + " is damaged (longer than any reading)";
                ok = false;
                break;
            }
            if (end == std::string_view::npos) break;
            ok = take_line(line);
            line.clear();
            rest.remove_prefix(end + 1);
        }
        if (!ok) break;
    }
    ::close(fd);
    if (ok && !line.empty()) ok = take_line(line);  // a last line without its LF
    // A file of its first line alone is fine: a server stopped before it kept a reading.
    if (!ok) reject(problem, kept.size());
    return {kept.begin(), kept.end()};
}

asyncio::Task<> HistoryFile::save(const History& history) {
    if (!m_saving || history.empty()) co_return;
    if (history.last_id() == m_saved_id) co_return;  // no reading since the last write
    std::string text;
    append_header(text, m_sensor);
    const std::size_t header_size = text.size();
    const std::uint64_t last = history.last_id();
    std::size_t in_step = 0;
    for (std::uint64_t id = last - history.size() + 1; id <= last; ++id) {
        if (++in_step > kReadingsPerStep) {
            in_step = 0;
            co_await asyncio::sleep(0);  // let the loop serve; the ring may drop its oldest meanwhile
        }
        const Sample* sample = history.find(id);
        if (sample == nullptr) {
            // Dropped while the loop ran, so were all lines written so far (they are older): the
            // file starts after them, ids still consecutive.
            text.resize(header_size);
            continue;
        }
        append_line(text, *sample);
    }
    const std::string failure = co_await asyncio::to_thread(write_atomically, m_path, std::move(text));
    if (failure.empty()) {
        m_saved_id = last;
        if (m_failing) say("--history-file " + m_path + ": saved again");
        m_failing = false;
    } else if (!m_failing) {
        m_failing = true;
        say("--history-file " + m_path + ": the history could not be saved: " + failure + " (tried again at each turn)");
    }
}

asyncio::Task<> HistoryFile::run(const History& history, asyncio::Duration every) {
    for (;;) {
        bool stopping = false;
        try {
            co_await asyncio::wait_for(m_stop.wait(), every);
            stopping = true;
        } catch (const asyncio::TimeoutError&) {
        }
        co_await save(history);
        if (stopping) co_return;
    }
}

}  // namespace sensor_server
