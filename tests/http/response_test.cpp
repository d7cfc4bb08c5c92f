// Response building and serialisation (http/response.hpp): header validation and the exact bytes
// of a response head.
#include <asyncio/http/response.hpp>

#include "http_test_util.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace {

using asyncio::http::Response;
using asyncio::http::test::ExactBuffer;

/// The serialised response of a server named "sensor-server", with the Date value (which
/// changes every second) masked.
std::string serialised(const Response& response, bool head_request, bool keep_alive, bool http_1_0 = false) {
    std::string out;
    asyncio::http::append_response(out, response,
                                   {.head_request = head_request,
                                    .keep_alive = keep_alive,
                                    .http_1_0 = http_1_0,
                                    .server_name = "sensor-server"});
    const std::size_t date = out.find("\r\nDate: ");
    if (date != std::string::npos) out.replace(date + 8, 29, "<date>");
    return out;
}

TEST(ResponseTest, LineBreakAnywhereInAHeaderIsRefused) {
    // Every length around the 8-byte steps of the check, a CR or LF at every position, in the
    // name and in the value; each input in a block of exactly its size (no over-read under ASan).
    for (std::size_t length = 1; length <= 25; ++length) {
        for (std::size_t at = 0; at < length; ++at) {
            for (const char line_break : {'\r', '\n'}) {
                std::string text(length, 'a');
                text[at] = line_break;
                const ExactBuffer exact(text);
                Response response;
                EXPECT_THROW(response.set_header(exact.view(), "v"), std::invalid_argument) << length << " " << at;
                EXPECT_THROW(response.set_header("X-Name", exact.view()), std::invalid_argument) << length << " " << at;
                EXPECT_EQ(response.extra_headers(), "");
            }
        }
        const ExactBuffer clean(std::string(length, '\x0b'));  // close to CR and LF, but neither
        Response response;
        EXPECT_NO_THROW(response.set_header("X-Name", clean.view()));
    }
}

TEST(ResponseTest, HeadersAreKeptInOrder) {
    Response response;
    response.set_header("Cache-Control", "no-store");
    response.set_header("X-Empty", "");
    EXPECT_EQ(response.extra_headers(), "Cache-Control: no-store\r\nX-Empty: \r\n");
    response.reset();
    EXPECT_EQ(response.extra_headers(), "");
}

TEST(ResponseTest, AHeaderBlockIsCheckedOnceAndAddedInOrder) {
    const asyncio::http::HeaderBlock block{{"Cache-Control", "no-store"}, {"Referrer-Policy", "no-referrer"}};
    EXPECT_EQ(block.lines(), "Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n");
    Response response;
    response.set_header("ETag", "\"1\"");
    response.add_headers(block);
    response.add_headers(block);  // added as often as asked, like set_header
    EXPECT_EQ(response.extra_headers(),
              "ETag: \"1\"\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n"
              "Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n");
    using Block = asyncio::http::HeaderBlock;
    EXPECT_THROW(Block({{"X-Ok", "fine"}, {"X-Split", "a\r\nSet-Cookie: b"}}), std::invalid_argument);
    EXPECT_THROW(Block({{"X-Split\n", "a"}}), std::invalid_argument);
}

TEST(ResponseTest, KeepAliveResponseBytes) {
    Response response;
    response.json(R"({"ts":1})");
    response.set_header("Cache-Control", "no-store");
    EXPECT_EQ(serialised(response, false, true),
              "HTTP/1.1 200 OK\r\nDate: <date>\r\nServer: sensor-server\r\nContent-Type: application/json\r\n"
              "Content-Length: 8\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n\r\n"
              R"({"ts":1})");
}

TEST(ResponseTest, AStaticBodyIsSentAsAnOwnedOneWould) {
    static constexpr std::string_view kPage = "<!doctype html><p>compiled in</p>";
    Response owned;
    owned.set_content_type("text/html");
    owned.body().assign(kPage);
    Response borrowed;
    borrowed.set_content_type("text/html");
    borrowed.set_static_body(kPage);
    EXPECT_EQ(serialised(borrowed, false, true), serialised(owned, false, true));
    EXPECT_EQ(serialised(borrowed, true, true), serialised(owned, true, true));  // HEAD: length, no body
}

TEST(ResponseTest, AStaticBodyGivesWayToBodyAndReset) {
    Response response;
    response.set_static_body("static");
    EXPECT_EQ(response.body_view(), "static");
    response.body().append("owned");  // taking the owned body drops the static one
    EXPECT_EQ(response.body_view(), "owned");
    response.set_static_body("again");
    EXPECT_EQ(response.body_view(), "again");
    EXPECT_TRUE(std::as_const(response).body().empty());
    response.reset();
    EXPECT_EQ(response.body_view(), "");
    response.text("error page");  // set() replaces a static body too
    response.set_static_body("x");
    response.text("plain");
    EXPECT_EQ(response.body_view(), "plain");
}

TEST(ResponseTest, ClosingHeadAndHttp10Variants) {
    Response response;
    response.error(404);
    EXPECT_EQ(serialised(response, true, false),
              "HTTP/1.1 404 Not Found\r\nDate: <date>\r\nServer: sensor-server\r\n"
              "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\nConnection: close\r\n"
              "X-Content-Type-Options: nosniff\r\n\r\n");  // HEAD: the GET body's length, no body
    Response empty;
    empty.status = 204;
    EXPECT_EQ(serialised(empty, false, true, true),
              "HTTP/1.1 204 No Content\r\nDate: <date>\r\nServer: sensor-server\r\nConnection: keep-alive\r\n"
              "X-Content-Type-Options: nosniff\r\n\r\n");
}

TEST(ResponseTest, NotModifiedHasNoContentLengthEvenForHead) {
    // A 304 stands for a 200 whose body the response does not hold: "Content-Length: 0" would
    // be wrong (RFC 9110 8.6), for HEAD as for GET; 1xx and 204 never carry one.
    Response not_modified;
    not_modified.status = 304;
    not_modified.set_header("ETag", "\"abc\"");
    for (const bool head : {false, true}) {
        EXPECT_EQ(serialised(not_modified, head, true),
                  "HTTP/1.1 304 Not Modified\r\nDate: <date>\r\nServer: sensor-server\r\n"
                  "X-Content-Type-Options: nosniff\r\nETag: \"abc\"\r\n\r\n");
    }
    Response no_content;
    no_content.status = 204;
    EXPECT_EQ(serialised(no_content, true, true).find("Content-Length"), std::string::npos);
}

TEST(ResponseTest, NoServerHeaderUnlessTheServerIsNamed) {
    Response response;
    response.text("ok\n");
    std::string out;
    asyncio::http::append_response(out, response, {});
    EXPECT_EQ(out.find("Server:"), std::string::npos) << out;
    out.clear();
    asyncio::http::append_response(out, response, {.server_name = "my-device/1.0"});
    EXPECT_NE(out.find("\r\nServer: my-device/1.0\r\n"), std::string::npos) << out;
}

TEST(ResponseTest, AppendsAfterWhatIsThere) {
    // The server serialises pipelined responses one after another into one write buffer.
    Response response;
    response.text("ok\n");
    std::string out = "previous";
    asyncio::http::append_response(out, response, {});
    ASSERT_EQ(out.rfind("previous", 0), 0u);
    EXPECT_EQ(out.substr(8, 17), "HTTP/1.1 200 OK\r\n");
    EXPECT_EQ(out.substr(out.size() - 7), "\r\n\r\nok\n");
    EXPECT_NE(out.find("Content-Length: 3\r\n"), std::string::npos);
}

TEST(ResponseTest, LongHeadersAndUnknownStatus) {
    Response response;
    response.status = 799;
    const std::string long_value(5000, 'v');
    response.set_header("X-Long", long_value);
    response.set_content_type(std::string(300, 't'));
    const std::string out = serialised(response, false, true);
    EXPECT_EQ(out.rfind("HTTP/1.1 799 Unknown\r\n", 0), 0u);
    EXPECT_NE(out.find("X-Long: " + long_value + "\r\n"), std::string::npos);
    EXPECT_NE(out.find("Content-Type: " + std::string(300, 't') + "\r\n"), std::string::npos);
    EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

}  // namespace

TEST(ResponseTest, UndatedAndUnsizedFraming) {
    // Bytes prepared in advance (the 503 a server sheds connections with) carry no Date; an
    // event stream's head has no Content-Length, its body running until the connection closes.
    Response response;
    response.error(503, "busy");
    std::string out;
    asyncio::http::append_response(out, response, {.keep_alive = false, .dated = false});
    EXPECT_EQ(out,
              "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
              "Content-Length: 26\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n\r\n"
              "Service Unavailable: busy\n");
    Response stream_head;
    stream_head.set_content_type("text/event-stream");
    out.clear();
    asyncio::http::append_response(out, stream_head, {.keep_alive = false, .sized = false});
    EXPECT_EQ(out.find("Content-Length"), std::string::npos) << out;
    EXPECT_NE(out.find("\r\nDate: "), std::string::npos) << out;
}

TEST(ResponseTest, LineBreakInTheContentTypeIsRefused) {
    Response response;
    EXPECT_THROW(response.set_content_type("text/html\r\nSet-Cookie: a=b"), std::invalid_argument);
    EXPECT_THROW(response.set_content_type("text/html\n"), std::invalid_argument);
    EXPECT_EQ(response.content_type(), "") << "nothing of a refused value is kept";
}
