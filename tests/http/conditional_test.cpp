// If-None-Match (http/conditional.hpp): weak comparison, lists, "*" and malformed fields.
#include <asyncio/http/conditional.hpp>

#include <gtest/gtest.h>

namespace {

using asyncio::http::if_none_match;

TEST(IfNoneMatch, StrongAndWeakTagsCompareWeakly) {
    // RFC 9110 13.1.2: If-None-Match uses the weak comparison (8.8.3.2).
    EXPECT_TRUE(if_none_match("\"abc\"", "\"abc\""));
    EXPECT_TRUE(if_none_match("W/\"abc\"", "\"abc\""));
    EXPECT_TRUE(if_none_match("\"abc\"", "W/\"abc\""));
    EXPECT_TRUE(if_none_match("W/\"abc\"", "W/\"abc\""));
    EXPECT_FALSE(if_none_match("\"abd\"", "\"abc\""));
    EXPECT_FALSE(if_none_match("w/\"abc\"", "\"abc\"")) << "W/ is case-sensitive";
}

TEST(IfNoneMatch, ListsAndStar) {
    EXPECT_TRUE(if_none_match("\"x\", \"abc\"", "\"abc\""));
    EXPECT_TRUE(if_none_match(" ,\"x\" ,W/\"abc\" , ", "\"abc\""));
    EXPECT_TRUE(if_none_match("\"a,b\", \"abc\"", "\"abc\"")) << "a comma inside a tag is part of it";
    EXPECT_FALSE(if_none_match("\"a,b\"", "\"a\""));
    EXPECT_TRUE(if_none_match("*", "\"abc\""));
    EXPECT_TRUE(if_none_match(" * ", "\"abc\""));
}

TEST(IfNoneMatch, EmptyOrMalformedMatchesNothing) {
    EXPECT_FALSE(if_none_match("", "\"abc\""));
    EXPECT_FALSE(if_none_match("abc", "\"abc\""));
    EXPECT_FALSE(if_none_match("\"abc", "\"abc\""));
    EXPECT_FALSE(if_none_match("W/", "\"abc\""));
    EXPECT_FALSE(if_none_match("junk, \"abc\"", "\"abc\""));
}

}  // namespace
