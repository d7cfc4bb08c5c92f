#include <asyncio/io/detail/buffer_pool.hpp>

#include <array>
#include <utility>

namespace asyncio::detail {

namespace {

/// A bounded LIFO free list (the most recently used buffer is the one warm in the cache).
template <class Entry, class Release>
class FreeList {
public:
    FreeList() = default;
    FreeList(const FreeList&) = delete;
    FreeList& operator=(const FreeList&) = delete;
    ~FreeList() {
        while (m_count > 0) Release{}(std::move(m_entries[--m_count]));
    }
    [[nodiscard]] bool empty() const noexcept { return m_count == 0; }
    [[nodiscard]] bool full() const noexcept { return m_count == m_entries.size(); }
    Entry pop() noexcept { return std::move(m_entries[--m_count]); }
    void push(Entry entry) noexcept { m_entries[m_count++] = std::move(entry); }

private:
    std::array<Entry, kMaxFreeBuffers> m_entries{};
    std::size_t m_count = 0;
};

struct DeleteBlock {
    void operator()(char* block) const noexcept { delete[] block; }
};
struct DropString {
    void operator()(std::string&&) const noexcept {}
};

// A stream may outlive its thread's lists (one destroyed by another thread-local's destructor):
// after the lists are gone, buffers go straight back to the heap.
thread_local bool t_lists_destroyed = false;

struct ThreadLists {
    FreeList<char*, DeleteBlock> blocks;
    FreeList<std::string, DropString> strings;
    ~ThreadLists() { t_lists_destroyed = true; }
};

ThreadLists* lists() noexcept {
    if (t_lists_destroyed) return nullptr;
    thread_local ThreadLists instance;
    return &instance;
}

}  // namespace

char* take_receive_block() {
    ThreadLists* pool = lists();
    if (pool != nullptr && !pool->blocks.empty()) return pool->blocks.pop();
    return new char[kReceiveBlockSize];  // not zero-filled: written before it is read
}

void give_receive_block(char* block) noexcept {
    ThreadLists* pool = lists();
    if (pool == nullptr || pool->blocks.full()) {
        delete[] block;
        return;
    }
    pool->blocks.push(block);
}

void take_write_buffer(std::string& buffer) noexcept {
    ThreadLists* pool = lists();
    if (pool != nullptr && !pool->strings.empty()) buffer = pool->strings.pop();
}

void give_write_buffer(std::string& buffer) noexcept {
    buffer.clear();
    ThreadLists* pool = lists();
    const bool worth_keeping = buffer.capacity() > std::string().capacity() && buffer.capacity() <= kMaxPooledWriteBuffer;
    if (pool != nullptr && worth_keeping && !pool->strings.full()) {
        pool->strings.push(std::move(buffer));
    }
    std::string().swap(buffer);  // whatever happened, `buffer` holds no heap storage now
}

}  // namespace asyncio::detail
