#include "lwip_test_support.hpp"

#include <functional>
#include <utility>

namespace lwip_test {

namespace {
/// The server's callback: hands the connection to the test (a parameter, not a capture: the
/// callback is a coroutine).
asyncio::Task<> hand_over(asyncio::Queue<asyncio::Stream>* accepted, asyncio::Stream stream) {
    accepted->put_nowait(std::move(stream));
    co_return;
}
}  // namespace

asyncio::Task<Acceptor> start_acceptor() {
    Acceptor acceptor;
    acceptor.accepted = std::make_unique<asyncio::Queue<asyncio::Stream>>();
    acceptor.server = co_await asyncio::start_server(std::bind_front(&hand_over, acceptor.accepted.get()), "127.0.0.1", 0);
    co_return acceptor;
}

asyncio::Task<Pair> connected_pair() {
    Pair pair;
    pair.acceptor = co_await start_acceptor();
    pair.client = co_await asyncio::open_connection("127.0.0.1", pair.acceptor.server.port());
    pair.server = co_await asyncio::wait_for(pair.acceptor.accepted->get(), 5s);
    // Only this connection: the listener goes (no task waits on it any more).
    pair.acceptor.server.close();
    co_await asyncio::wait_for(pair.acceptor.server.wait_closed(), 5s);
    co_return pair;
}

asyncio::Task<> close_pair(Pair& pair) {
    pair.client.close();
    pair.server.close();
    co_await asyncio::wait_for(pair.client.wait_closed(), 5s);
    co_await asyncio::wait_for(pair.server.wait_closed(), 5s);
}

}  // namespace lwip_test
