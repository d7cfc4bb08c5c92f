#include <asyncio/core/gather.hpp>

namespace asyncio::detail {

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
    failure->rethrow_if_failed();
}

}  // namespace asyncio::detail
