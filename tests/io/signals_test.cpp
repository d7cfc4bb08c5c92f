// add_signal_handler / remove_signal_handler: the callback runs in the loop, later, never inside
// the signal handler.
#include <asyncio/io/signals.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>

#include "io/io_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using SignalsTest = io_test::IoTest;

bool has_default_action(int signal_number) {
    struct sigaction current {};
    ::sigaction(signal_number, nullptr, &current);
    return current.sa_handler == SIG_DFL;
}

/// Waits (bounded) until `*flag` reaches `wanted`.
asyncio::Task<> until(const int* counter, int wanted) {
    for (int i = 0; i < 1000 && *counter < wanted; ++i) co_await asyncio::sleep(1ms);
}

asyncio::Task<> callback_runs_in_the_loop() {
    int calls = 0;
    bool in_task = false;
    asyncio::add_signal_handler(SIGUSR1, [&] {
        ++calls;
        in_task = asyncio::running_loop() != nullptr;
    });
    EXPECT_FALSE(has_default_action(SIGUSR1));
    ::raise(SIGUSR1);
    EXPECT_EQ(calls, 0) << "not inside the signal handler: later, in the loop";
    co_await until(&calls, 1);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(in_task);
    ::raise(SIGUSR1);
    co_await until(&calls, 2);
    EXPECT_EQ(calls, 2);
    EXPECT_TRUE(asyncio::remove_signal_handler(SIGUSR1));
    EXPECT_FALSE(asyncio::remove_signal_handler(SIGUSR1)) << "nothing left to remove";
    EXPECT_TRUE(has_default_action(SIGUSR1));
}
TEST_F(SignalsTest, RaisedSignalRunsTheCallbackInTheLoop) { io_test::run(callback_runs_in_the_loop()); }

asyncio::Task<> replaced_and_failing_handlers() {
    io_test::CapturedReports reports;
    int first = 0;
    int second = 0;
    asyncio::add_signal_handler(SIGUSR2, [&] { ++first; });
    asyncio::add_signal_handler(SIGUSR2, [&] {
        ++second;
        throw std::runtime_error("handler failed on purpose");
    });
    ::raise(SIGUSR2);
    co_await until(&second, 1);
    ::raise(SIGUSR2);
    co_await until(&second, 2);
    EXPECT_EQ(first, 0) << "replaced";
    EXPECT_EQ(second, 2) << "a failing callback stays installed";
    EXPECT_EQ(reports.count_containing("handler failed on purpose"), 2u);
}
TEST_F(SignalsTest, ReplacedAndFailingHandlers) { io_test::run(replaced_and_failing_handlers()); }

asyncio::Task<> installed_until_the_loop_ends() {
    asyncio::add_signal_handler(SIGUSR1, [] {});
    co_return;
}
TEST_F(SignalsTest, TheDefaultActionIsBackOnceTheLoopEnds) {
    io_test::run(installed_until_the_loop_ends());
    EXPECT_TRUE(has_default_action(SIGUSR1));
}

asyncio::Task<> graceful_shutdown() {
    auto server = co_await asyncio::start_server([](asyncio::Stream) -> asyncio::Task<> { co_return; }, "127.0.0.1", 0);
    asyncio::add_signal_handler(SIGTERM, [&server] { server.close(); });
    auto serving = asyncio::create_task(server.serve_forever());
    co_await asyncio::sleep(5ms);
    ::raise(SIGTERM);
    co_await asyncio::wait_for(std::move(serving), 2s);
    EXPECT_FALSE(server.is_serving());
    co_await server.wait_closed();
    asyncio::remove_signal_handler(SIGTERM);
}
TEST_F(SignalsTest, SigtermClosesAServerGracefully) { io_test::run(graceful_shutdown()); }

asyncio::Task<> uncatchable() {
    EXPECT_THROW(asyncio::add_signal_handler(SIGKILL, [] {}), std::system_error);
    EXPECT_FALSE(asyncio::remove_signal_handler(SIGKILL)) << "nothing was left installed";
    co_return;
}
TEST_F(SignalsTest, AnUncatchableSignalIsASystemError) { io_test::run(uncatchable()); }

TEST_F(SignalsTest, InvalidSignalNumbers) {
    EXPECT_THROW(asyncio::add_signal_handler(0, [] {}), std::invalid_argument);
    EXPECT_THROW(asyncio::add_signal_handler(1000, [] {}), std::invalid_argument);
    EXPECT_THROW(asyncio::remove_signal_handler(-1), std::invalid_argument);
}

}  // namespace
