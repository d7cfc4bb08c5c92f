#pragma once
// Topic<T>: one publisher, many subscribers, each with its own bounded backlog.

#include <asyncio/core/detail/wait_list.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

namespace asyncio {

/// Topic<T>: one publisher, many subscribers, each with its own bounded backlog. publish() never
/// waits and never grows memory: a subscriber that falls behind loses its oldest values (a
/// backlog of 1 keeps only the latest), and counts what it lost. Live dashboards need exactly
/// this: one slow browser must not hold up the sensor or the other browsers.
///
/// \code
/// asyncio::Topic<Reading> readings;
/// auto sub = readings.subscribe(16);               // keep up to 16 unread readings
/// for (;;) { auto reading = co_await sub.get(); if (!reading) break; ... }  // nullopt: closed
/// readings.publish(reading);                        // in the sampler
/// \endcode
template <class T>
class Topic {
    struct Subscriber;

public:
    Topic() = default;
    Topic(const Topic&) = delete;
    Topic& operator=(const Topic&) = delete;
    ~Topic() { close(); }

    class Subscription;

    /// A new subscriber that receives every value published from now on, keeping at most
    /// `backlog` unread ones (at least 1).
    [[nodiscard]] Subscription subscribe(std::size_t backlog = 1) {
        auto subscriber = std::make_unique<Subscriber>(backlog == 0 ? 1 : backlog);
        if (m_closed) subscriber->closed = true;
        m_subscribers.push_back(*subscriber);
        return Subscription(std::move(subscriber));
    }

    /// Delivers `value` to every subscriber without waiting; wakes those waiting in get().
    void publish(const T& value) {
        ++m_published;
        m_subscribers.for_each([&](Subscriber& subscriber) { subscriber.deliver(value); });
    }

    /// Ends the topic: subscribers get the values they still have, then std::nullopt.
    void close() noexcept {
        m_closed = true;
        m_subscribers.for_each([](Subscriber& subscriber) {
            static_cast<detail::ListHook&>(subscriber).unlink();
            subscriber.close();
        });
    }

    /// Subscriptions alive now.
    [[nodiscard]] std::size_t subscriber_count() const noexcept { return m_subscribers.size(); }
    /// Values published since the topic was made.
    [[nodiscard]] std::uint64_t published() const noexcept { return m_published; }

private:
    /// A task waiting in Subscription::get().
    struct Waiter : detail::ListWait {
        using detail::ListWait::notify;
        bool woken = false;  ///< deliver() or close() woke it (and unlinked it)
    };

    struct Subscriber : detail::ListHook {
        explicit Subscriber(std::size_t limit) : backlog_limit(limit) {}
        void deliver(const T& value) {
            if (backlog.size() >= backlog_limit) {
                backlog.pop_front();
                ++dropped;
            }
            backlog.push_back(value);
            wake_one();
        }
        /// One value, one waiter: two tasks reading one subscription share its values.
        void wake_one() noexcept {
            if (waiters.empty()) return;
            auto& waiter = static_cast<Waiter&>(waiters.pop_front());
            waiter.woken = true;
            waiter.notify();
        }
        void close() noexcept {
            closed = true;
            while (!waiters.empty()) wake_one();
        }
        std::size_t backlog_limit;
        std::deque<T> backlog;
        std::uint64_t dropped = 0;
        bool closed = false;
        detail::WaitList waiters;
    };

    detail::IntrusiveList<Subscriber> m_subscribers;
    std::uint64_t m_published = 0;
    bool m_closed = false;
};

/// A subscriber's handle; unsubscribes when destroyed.
template <class T>
class Topic<T>::Subscription {
public:
    /// Takes over `other`'s subscription.
    Subscription(Subscription&&) noexcept = default;
    /// Unsubscribes this one and takes over `other`'s.
    Subscription& operator=(Subscription&&) noexcept = default;

    class [[nodiscard]] GetOperation final : Waiter {
    public:
        explicit GetOperation(Subscriber& subscriber) noexcept : m_subscriber(subscriber) {}
        bool await_ready() const noexcept { return !m_subscriber.backlog.empty() || m_subscriber.closed; }
        bool await_suspend(std::coroutine_handle<> handle) noexcept {
            return this->suspend_on(m_subscriber.waiters, handle);
        }
        std::optional<T> await_resume() {
            // Woken for a value, then cancelled: the value stays and the next waiter gets it.
            if (this->woken && this->cancel_pending() && !m_subscriber.backlog.empty()) m_subscriber.wake_one();
            this->end_wait();
            if (m_subscriber.backlog.empty()) return std::nullopt;
            std::optional<T> value(std::move(m_subscriber.backlog.front()));
            m_subscriber.backlog.pop_front();
            return value;
        }

    private:
        Subscriber& m_subscriber;
    };

    /// Suspends when: nothing unread. Resumed by: publish(), which wakes one waiting reader per
    /// value (oldest first), or close(), which wakes them all.
    /// Returns: the oldest unread value, or std::nullopt once the topic is closed and drained.
    /// Cancellation: co_await throws CancelledError; no value is lost (a reader woken for a value
    /// and cancelled before it ran leaves it to the next reader).
    GetOperation get() noexcept { return GetOperation(*m_subscriber); }
    /// The oldest unread value without waiting, or std::nullopt.
    std::optional<T> get_nowait() {
        if (m_subscriber->backlog.empty()) return std::nullopt;
        std::optional<T> value(std::move(m_subscriber->backlog.front()));
        m_subscriber->backlog.pop_front();
        return value;
    }
    /// Unread values in the backlog.
    [[nodiscard]] std::size_t pending() const noexcept { return m_subscriber->backlog.size(); }
    /// Values this subscriber lost because its backlog was full.
    [[nodiscard]] std::uint64_t dropped() const noexcept { return m_subscriber->dropped; }
    /// The topic was closed and every value read: get() returns std::nullopt at once.
    [[nodiscard]] bool closed() const noexcept { return m_subscriber->closed && m_subscriber->backlog.empty(); }

private:
    friend class Topic;
    explicit Subscription(std::unique_ptr<Subscriber> subscriber) noexcept : m_subscriber(std::move(subscriber)) {}
    std::unique_ptr<Subscriber> m_subscriber;  ///< unlinks itself from the topic when destroyed
};

}  // namespace asyncio
