// Listen-address parsing: numeric host and port only, IPv6 bracketed.
#include "net/address.hpp"

#include <gtest/gtest.h>

namespace poplar::net {
namespace {

TEST(ListenAddress, AcceptsNumericHostsAndPorts) {
    auto v4 = parse_listen_address("127.0.0.1:1110");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->address().to_string(), "127.0.0.1");
    EXPECT_EQ(v4->port(), 1110);
    auto v6 = parse_listen_address("[::1]:995");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->address().is_v6());
    EXPECT_EQ(v6->port(), 995);
    auto any = parse_listen_address("0.0.0.0:0");
    ASSERT_TRUE(any);
    EXPECT_EQ(any->port(), 0);
}

TEST(ListenAddress, RefusesEverythingElse) {
    for (const char* text : {"", "127.0.0.1", "127.0.0.1:", ":110", "localhost:110", "127.0.0.1:65536",
                             "127.0.0.1:-1", "127.0.0.1:11x", "::1:110", "[::1]", "[::1]:", "1.2.3.4.5:1",
                             "127.0.0.1:99999999999999999999"}) {
        EXPECT_FALSE(parse_listen_address(text)) << text;
    }
}

} // namespace
} // namespace poplar::net

namespace poplar::net {
namespace {

TEST(LmtpAddress, UnixPathsAndTcpAddresses) {
    const auto unix_socket = parse_lmtp_address("unix:/run/poplar/lmtp");
    ASSERT_TRUE(unix_socket);
    ASSERT_TRUE(std::holds_alternative<std::filesystem::path>(*unix_socket));
    EXPECT_EQ(std::get<std::filesystem::path>(*unix_socket), "/run/poplar/lmtp");
    const auto tcp = parse_lmtp_address("127.0.0.1:24");
    ASSERT_TRUE(tcp);
    ASSERT_TRUE(std::holds_alternative<asio::ip::tcp::endpoint>(*tcp));
    EXPECT_EQ(std::get<asio::ip::tcp::endpoint>(*tcp).port(), 24);
    for (const char* bad : {"unix:relative", "unix:", "localhost:24", "/run/lmtp"}) {
        EXPECT_FALSE(parse_lmtp_address(bad)) << bad;
    }
}

} // namespace
} // namespace poplar::net
