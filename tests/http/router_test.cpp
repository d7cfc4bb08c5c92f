// Router::match (http/router.hpp): routes, 404, 405 with Allow, OPTIONS (per path and "*"),
// and 501 for methods nobody implements.
#include <asyncio/http/router.hpp>

#include <gtest/gtest.h>

namespace {

using asyncio::http::Response;
using asyncio::http::Router;
using asyncio::http::ServerRequest;

Router make_router() {
    Router router;
    const auto ok = [](const ServerRequest&, Response& response) { response.text("ok\n"); };
    router.get("/a", ok);
    router.post("/b", ok);
    router.route("PUT", "/b", ok);
    router.get_prefix("/static/", ok);
    return router;
}

TEST(Router, RoutesHeadToGetAndRefusesOtherMethodsWithAllow) {
    const Router router = make_router();
    EXPECT_NE(router.match("GET", "/a").handler, nullptr);
    EXPECT_NE(router.match("HEAD", "/a").handler, nullptr);
    EXPECT_NE(router.match("GET", "/static/x.js").handler, nullptr);
    const Router::Match wrong = router.match("DELETE", "/a");
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(wrong.allow, "GET, HEAD, OPTIONS");
    EXPECT_EQ(router.match("GET", "/b").allow, "POST, PUT, OPTIONS");
    EXPECT_EQ(router.match("GET", "/nope").status, 404);
}

TEST(Router, OptionsForAPathAndForTheServer) {
    const Router router = make_router();
    const Router::Match path = router.match("OPTIONS", "/a");
    EXPECT_EQ(path.status, 204);
    EXPECT_EQ(path.allow, "GET, HEAD, OPTIONS");
    // "OPTIONS *" asks about the server as a whole (RFC 9110 9.3.7): every routed method.
    const Router::Match server = router.match("OPTIONS", "*");
    EXPECT_EQ(server.status, 204);
    EXPECT_EQ(server.allow, "GET, HEAD, POST, PUT, OPTIONS");
    EXPECT_EQ(router.match("GET", "*").status, 400);
}

TEST(Router, UnknownMethodsAre501AndStandardOnes405) {
    // RFC 9110 9.1: a method the server does not recognise gets 501; one it knows but the
    // resource does not allow, 405.
    const Router router = make_router();
    EXPECT_EQ(router.match("BREW", "/a").status, 501);
    EXPECT_EQ(router.match("BREW", "/nope").status, 501);
    EXPECT_EQ(router.match("get", "/a").status, 501) << "methods are case-sensitive (RFC 9110 9.1)";
    EXPECT_EQ(router.match("PATCH", "/a").status, 405);
    EXPECT_EQ(router.match("TRACE", "/a").status, 405);
    EXPECT_EQ(router.match("PUT", "/a").status, 405) << "routed elsewhere: known";
}

}  // namespace
