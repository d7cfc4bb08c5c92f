// A Stream over a transport (the layer TLS plugs in, io/stream.hpp's StreamTransport): a failure
// the transport throws from its send() leaves the Stream as a failed send of plain TCP does.
#include <asyncio/io/stream.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/io/detail/socket_ops.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "io/io_test_support.hpp"

namespace {

using StreamTransportTest = io_test::IoTest;

/// A transport whose send() fails as a TLS layer does on a record it cannot write.
class FailingSend : public asyncio::detail::StreamTransport {
public:
    asyncio::detail::IoResult receive(char*, std::size_t) override { return {-1, EAGAIN}; }
    asyncio::detail::IoResult send(const char*, std::size_t) override {
        throw std::runtime_error("the transport failed");
    }
    void send_end_of_stream() noexcept override {}
    [[nodiscard]] std::string get_extra_info(std::string_view) const override { return {}; }
};

asyncio::Task<> failed_transport_send_drops_the_output() {
    auto [client, server] = co_await io_test::tcp_pair();
    server.set_transport(std::make_unique<FailingSend>());
    server.write("never sent");
    EXPECT_THROW(co_await server.drain(), std::runtime_error);
    // As after a send() error on plain TCP: what could not be sent is dropped, so a close()
    // does not try to flush it again, and the write buffer is empty.
    EXPECT_EQ(server.write_buffer_size(), 0u);
    server.close();
    EXPECT_NO_THROW(co_await server.wait_closed());
}
TEST_F(StreamTransportTest, AFailedTransportSendDropsTheOutputAsTcpDoes) {
    io_test::run(failed_transport_send_drops_the_output());
}

}  // namespace
