// The component's own sources (the root CMakeLists.txt's ESP_PLATFORM branch) compiled on Linux as
// ESP-IDF compiles them by default, as far as a host can: ESP_PLATFORM defined, -fno-rtti, the
// stand-in esp_attr.h (IRAM_ATTR as a section), and the socket headers cut down to what lwIP has
// without IPv6 (lwip_ipv4_only.h: no gai_strerror, sockaddr_in6, INET6_ADDRSTRLEN, IPV6_V6ONLY,
// accept4). That they compile is the first check; this program runs them, with the Linux clock
// and eventfd (poll_port_linux.cpp) in place of the ESP-IDF port, to check what they decide:
// sockets find their poller without RTTI, an IPv6 address is EAFNOSUPPORT at run time, name
// lookup errors are in words, and ThreadSafeFlag::set() (in the ".iram1" sections) wakes the loop.
// The ctest esp_idf_isr_in_iram reads this program's symbol table for the sections.
#include <asyncio/asyncio.hpp>
#include <asyncio/io/detail/socket_ops.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>

using namespace std::chrono_literals;

namespace {

asyncio::Task<> echo_line(asyncio::Stream stream) {
    std::string line = co_await stream.readline();
    stream.write(line);
    co_await stream.drain();
    stream.close();
    co_await stream.wait_closed();
}

asyncio::Task<std::string> serve_and_ask() {
    asyncio::Server server = co_await asyncio::start_server(echo_line, "127.0.0.1", 0, 5);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    client.write("no rtti\n");
    co_await client.drain();
    std::string answer = co_await client.readline();
    client.close();
    co_await client.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return answer;
}

TEST(EspIdfComponent, SocketsFindTheirLoopsPollerWithoutRtti) {
    EXPECT_EQ(asyncio::run(serve_and_ask()), "no rtti\n");
}

/// The errno of the std::system_error `task` ends with; 0 if it ends without one.
template <class Make>
int system_error_of(Make make) {
    try {
        asyncio::run(make());
    } catch (const std::system_error& error) {
        return error.code().value();
    }
    return 0;
}

asyncio::Task<> listen_on_ipv6() {
    asyncio::Server server = co_await asyncio::start_server(echo_line, "::1", 0, 5);
}
asyncio::Task<> connect_to_ipv6() { (void)co_await asyncio::open_connection("::1", 7); }
asyncio::Task<> datagram_on_ipv6() { (void)co_await asyncio::open_datagram("::", 0); }

TEST(EspIdfComponent, AnIpv6AddressIsEafnosupportAtRunTimeWithoutIpv6) {
    try {
        (void)asyncio::detail::resolve_numeric("fe80::1", 80);
        ADD_FAILURE() << "no exception";
    } catch (const std::system_error& error) {
        EXPECT_EQ(error.code().value(), EAFNOSUPPORT);
        EXPECT_NE(std::string(error.what()).find("fe80::1"), std::string::npos) << error.what();
    }
    EXPECT_EQ(system_error_of(listen_on_ipv6), EAFNOSUPPORT);
    EXPECT_EQ(system_error_of(connect_to_ipv6), EAFNOSUPPORT);
    EXPECT_EQ(system_error_of(datagram_on_ipv6), EAFNOSUPPORT);
    // IPv4 and names are untouched.
    EXPECT_EQ(asyncio::detail::resolve_numeric("10.0.0.7", 80).front().to_string(), "10.0.0.7:80");
    EXPECT_TRUE(asyncio::detail::resolve_numeric("example.invalid", 80).empty());
}

TEST(EspIdfComponent, NameLookupErrorsAreInWordsWithoutGaiStrerror) {
    std::string error;
    // A socket type getaddrinfo() refuses at once, with no DNS query: EAI_SOCKTYPE.
    const auto found = asyncio::detail::resolve("127.0.0.1", 80, 12345, false, error);
    EXPECT_TRUE(found.empty());
    EXPECT_EQ(error, "getaddrinfo(127.0.0.1): socket type not supported");
}

/// Waits for a set() from another thread: the loop sleeps in poll() until the eventfd wakes it.
asyncio::Task<bool> woken_by_another_thread(asyncio::ThreadSafeFlag& flag) {
    std::jthread setter([&flag] {
        std::this_thread::sleep_for(20ms);
        flag.set();
    });
    co_await asyncio::wait_for(flag.wait(), 5s);
    co_return true;
}

TEST(EspIdfComponent, ThreadSafeFlagSetFromAnotherThreadWakesTheLoop) {
    asyncio::ThreadSafeFlag flag;
    EXPECT_TRUE(asyncio::run(woken_by_another_thread(flag)));
}

}  // namespace
