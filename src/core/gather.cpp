#include <asyncio/core/gather.hpp>

namespace asyncio::detail {

#if !ASYNCIO_EXCEPTIONS
namespace {
/// Without exceptions, how a cancellation propagates out of a coroutine: the current task is
/// cancelled and suspends here, and its next step unwinds it.
class CancelCurrentTask final : Wait {
public:
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> handle) noexcept {
        begin_wait_on_tasks(handle);
        wake_cancelled();
    }
    void await_resume() const noexcept {}

private:
    bool cancel_wait() noexcept override { return true; }
};
}  // namespace
#endif

Task<> wait_all_or_first_failure(std::vector<TaskState*> tasks) {
    TaskState* failure = nullptr;
    {
        TaskSetWait first_failure(tasks, true);
        co_await first_failure;
        failure = first_failure.first_failure();
    }
    if (failure == nullptr) co_return;
    for (TaskState* task : tasks) task->cancel();
    {
        TaskSetWait all_done(tasks, false);
        co_await all_done;
    }
#if ASYNCIO_EXCEPTIONS
    failure->rethrow_if_failed();
#else
    co_await CancelCurrentTask();  // a child was cancelled: so is the gathering task
#endif
}

}  // namespace asyncio::detail
