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
    CancelAction cancel_wait() noexcept override { return CancelAction::wake_now; }
};
}  // namespace
#endif

Task<> gather_children(std::vector<TaskState*> tasks, bool stop_at_failure) {
    TaskState* failure = nullptr;
    {
        TaskSetWait children(tasks, stop_at_failure);
        co_await children;
        failure = children.first_failure();
    }
    if (!stop_at_failure || failure == nullptr) co_return;
    // The others run on; what they fail with later was passed over for this failure, as CPython
    // marks it retrieved, so it is not reported as lost.
    for (TaskState* task : tasks) {
        if (task != failure) task->silence_exception_report();
    }
#if ASYNCIO_EXCEPTIONS
    failure->rethrow_if_failed();
#else
    co_await CancelCurrentTask();  // a child was cancelled: so is the gathering task
#endif
}

}  // namespace asyncio::detail
