#pragma once
// ExceptionGroup: several exceptions raised together, as Python's ExceptionGroup.

#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace asyncio {

/// ExceptionGroup: several exceptions raised together, as Python's ExceptionGroup. A TaskGroup
/// whose children fail throws one holding every child's exception (and the body's own), in the
/// order they happened.
///
/// \code
/// try {
///     co_await asyncio::task_group([&](asyncio::TaskGroup& group) -> asyncio::Task<> { ... });
/// } catch (const asyncio::ExceptionGroup& errors) {
///     if (errors.contains<std::system_error>()) ...     // `except* OSError`
///     for (const std::exception_ptr& error : errors.exceptions()) ...
/// }
/// \endcode
class ExceptionGroup : public std::exception {
public:
    /// A group of `exceptions` (in the order they happened), described by `message`.
    ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions)
        : m_message(std::move(message)), m_exceptions(std::move(exceptions)) {
        m_what = m_message + " (" + std::to_string(m_exceptions.size()) +
                 (m_exceptions.size() == 1 ? " sub-exception)" : " sub-exceptions)");
    }

    /// "unhandled errors in a TaskGroup (2 sub-exceptions)", as Python prints it.
    const char* what() const noexcept override { return m_what.c_str(); }
    /// The message alone, without the count what() adds.
    [[nodiscard]] const std::string& message() const noexcept { return m_message; }
    /// The exceptions directly in this group (a nested ExceptionGroup is one of them).
    [[nodiscard]] const std::vector<std::exception_ptr>& exceptions() const noexcept { return m_exceptions; }

    /// True if an exception of type E (or derived) is in the group, or in a group nested in it.
    template <class E>
    [[nodiscard]] bool contains() const {
        return subgroup<E>().has_value();
    }

    /// The exceptions of type E, nested groups kept as groups of their matches (Python's
    /// `subgroup(E)`); std::nullopt if there is none.
    template <class E>
    [[nodiscard]] std::optional<ExceptionGroup> subgroup() const {
        std::vector<std::exception_ptr> matching;
        for (const std::exception_ptr& error : m_exceptions) {
            if (std::exception_ptr match = match_of<E>(error)) matching.push_back(std::move(match));
        }
        if (matching.empty()) return std::nullopt;
        return ExceptionGroup(m_message, std::move(matching));
    }

private:
    /// `error` if it is an E; for a nested group, its subgroup of E; else nullptr.
    template <class E>
    static std::exception_ptr match_of(const std::exception_ptr& error) {
        try {
            std::rethrow_exception(error);
        } catch (const E&) {
            return error;
        } catch (const ExceptionGroup& nested) {
            if (auto inner = nested.subgroup<E>()) return std::make_exception_ptr(std::move(*inner));
        } catch (...) {
        }
        return nullptr;
    }

    std::string m_message;
    std::vector<std::exception_ptr> m_exceptions;
    std::string m_what;
};

}  // namespace asyncio
