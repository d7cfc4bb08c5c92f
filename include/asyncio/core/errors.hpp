#pragma once
// Every exception that asyncio itself throws. OS failures are std::system_error (errno and the
// name of the failing call), never one of these.

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

namespace asyncio {

/// Thrown at the `co_await` where a task was waiting when somebody called `cancel()` on it.
/// Catch it only to clean up, then rethrow (`throw;`), as asyncio's own primitives do.
/// It derives from std::exception, not std::runtime_error, so that a `catch (const
/// std::runtime_error&)` does not swallow a cancellation (in Python it is a BaseException).
class CancelledError : public std::exception {
public:
    CancelledError() = default;
    /// The message given to cancel(msg).
    explicit CancelledError(std::string message)
        : m_message(message.empty() ? nullptr : std::make_shared<const std::string>(std::move(message))) {}
    /// The message of cancel(msg), else "task was cancelled".
    const char* what() const noexcept override { return m_message ? m_message->c_str() : "task was cancelled"; }
    /// The message of cancel(msg); empty without one (CPython's `exc.args`).
    [[nodiscard]] std::string message() const { return m_message ? *m_message : std::string(); }

private:
    std::shared_ptr<const std::string> m_message;  // shared: copying an exception must not throw
};

/// Thrown by `wait_for` and by a `timeout()` scope when the time runs out.
class TimeoutError : public std::runtime_error {
public:
    TimeoutError() : std::runtime_error("timed out") {}
};

/// `Queue::put_nowait` on a full queue.
class QueueFull : public std::runtime_error {
public:
    QueueFull() : std::runtime_error("queue is full") {}
};

/// `Queue::get_nowait` on an empty queue.
class QueueEmpty : public std::runtime_error {
public:
    QueueEmpty() : std::runtime_error("queue is empty") {}
};

/// `Queue::put`/`put_nowait` after `shutdown()`, and `get`/`get_nowait` on a queue that is shut
/// down and empty (at once after `shutdown(true)`).
class QueueShutDown : public std::runtime_error {
public:
    QueueShutDown() : std::runtime_error("queue is shut down") {}
};

/// `Stream::readexactly` met the end of the stream first; `partial` holds what was read.
class IncompleteReadError : public std::runtime_error {
public:
    /// What was read before the end (`partial_bytes`) and how much was asked for.
    IncompleteReadError(std::string partial_bytes, std::size_t expected_bytes)
        : std::runtime_error(std::to_string(partial_bytes.size()) + " bytes read on a total of " +
                             std::to_string(expected_bytes) + " expected bytes"),
          partial(std::move(partial_bytes)),
          expected(expected_bytes) {}
    std::string partial;   ///< the bytes read before the end of the stream
    std::size_t expected;  ///< the bytes readexactly() was asked for
};

/// `Stream::readuntil`/`readline` found no separator within the stream's limit.
class LimitOverrunError : public std::runtime_error {
public:
    /// `message` for what(), and the bytes buffered when the limit was hit.
    LimitOverrunError(const std::string& message, std::size_t consumed_bytes)
        : std::runtime_error(message), consumed(consumed_bytes) {}
    std::size_t consumed;  ///< bytes buffered when the limit was hit (not consumed from the stream)
};

/// A primitive was used in a way asyncio forbids (releasing an unlocked Lock, over-releasing a
/// BoundedSemaphore, awaiting outside a running loop). CPython raises RuntimeError/ValueError.
class InvalidStateError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

}  // namespace asyncio
