// Tests for the strict base64 codec: RFC 4648 section 10 vectors, every byte, and refusals.
#include "auth/base64.hpp"

#include <gtest/gtest.h>

namespace poplar::auth {
namespace {

struct Vector {
    std::string_view bytes;
    std::string_view text;
};

// RFC 4648 section 10.
constexpr Vector rfc4648[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

TEST(Base64, Rfc4648Vectors)
{
    for (const auto& v : rfc4648) {
        EXPECT_EQ(base64_encode(v.bytes), v.text);
        const auto decoded = base64_decode(v.text);
        ASSERT_TRUE(decoded) << v.text;
        EXPECT_EQ(*decoded, v.bytes);
    }
}

TEST(Base64, EveryByteValueAndLengthRoundTrips)
{
    std::string bytes;
    for (int i = 0; i < 256; ++i)
        bytes += static_cast<char>(i);
    for (std::size_t length = 0; length <= bytes.size(); ++length) {
        const auto prefix = bytes.substr(0, length);
        const auto decoded = base64_decode(base64_encode(prefix));
        ASSERT_TRUE(decoded) << length;
        EXPECT_EQ(*decoded, prefix);
    }
}

TEST(Base64, RefusesWhatIsNotCanonicalPaddedBase64)
{
    constexpr std::string_view invalid[] = {
        "Zg",         // no padding
        "Zg=",        // short padding
        "Zm9",        // length not a multiple of 4
        "Zm9v\r\n",   // line break
        " Zm9v",      // leading space
        "Zm9v YmFy",  // space inside
        "Zm9v\tYmFy", // tab inside
        "Zg==Zg==",   // padding in the middle
        "Z===",       // three padding characters
        "====",       // padding only
        "=Zg=",       // padding first
        "Zm=v",       // '=' inside a group
        "Zh==",       // unused bits set: not canonical for "f"
        "Zm9=",       // unused bits set: not canonical for "fo"
        "Zm9vYg-_",   // URL-safe alphabet
        "Zm9v!mFy",   // not in the alphabet
        std::string_view{"Zm9v\0mFy", 8}, // NUL
        "\xc3\xa9Zm9",                    // non-ASCII
    };
    for (auto text : invalid)
        EXPECT_FALSE(base64_decode(text)) << "accepted: " << text;
}

} // namespace
} // namespace poplar::auth
