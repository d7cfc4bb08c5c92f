// Address: the text forms of socket addresses ("host:port", "[v6]:port"), as get_extra_info
// ("peername") and the access log show them.
#include <asyncio/io/address.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <string>

namespace {

asyncio::Address ipv4(const char* host, std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    EXPECT_EQ(inet_pton(AF_INET, host, &address.sin_addr), 1) << host;
    return {reinterpret_cast<const sockaddr*>(&address), sizeof address};
}

asyncio::Address ipv6(const char* host, std::uint16_t port) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(port);
    EXPECT_EQ(inet_pton(AF_INET6, host, &address.sin6_addr), 1) << host;
    return {reinterpret_cast<const sockaddr*>(&address), sizeof address};
}

TEST(AddressTest, IPv4IsDottedDecimalThenPort) {
    for (const char* host : {"0.0.0.0", "127.0.0.1", "10.0.12.3", "192.168.100.9", "255.255.255.255", "1.20.255.0"}) {
        EXPECT_EQ(ipv4(host, 8080).host(), host);
        EXPECT_EQ(ipv4(host, 8080).to_string(), std::string(host) + ":8080");
    }
    EXPECT_EQ(ipv4("127.0.0.1", 0).to_string(), "127.0.0.1:0");
    EXPECT_EQ(ipv4("255.255.255.255", 65535).to_string(), "255.255.255.255:65535");
}

TEST(AddressTest, IPv6IsBracketedThenPort) {
    EXPECT_EQ(ipv6("::1", 443).host(), "::1");
    EXPECT_EQ(ipv6("::1", 443).to_string(), "[::1]:443");
    EXPECT_EQ(ipv6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535).to_string(),
              "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
    EXPECT_EQ(ipv6("::ffff:10.1.2.3", 1).to_string(), "[::ffff:10.1.2.3]:1");
}

TEST(AddressTest, AnEmptyAddressHasNoText) {
    EXPECT_EQ(asyncio::Address().to_string(), "");
    EXPECT_EQ(asyncio::Address().host(), "");
    EXPECT_EQ(asyncio::Address().port(), 0);
}

}  // namespace
