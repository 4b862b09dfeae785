// Connection counting: totals and per-IP slots are taken and given back.
#include "net/connection_limits.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace poplar::net {
namespace {

TEST(ConnectionLimits, PerIpLimitLeavesOtherAddressesServed) {
    ConnectionLimits limits;
    std::vector<ConnectionTicket> held;
    for (int i = 0; i < 2; ++i) {
        auto ticket = limits.try_acquire("192.0.2.1", 10, 2);
        ASSERT_TRUE(ticket);
        held.push_back(std::move(*ticket));
    }
    EXPECT_FALSE(limits.try_acquire("192.0.2.1", 10, 2));
    EXPECT_TRUE(limits.try_acquire("192.0.2.2", 10, 2));
    EXPECT_EQ(limits.total(), 2u);  // the ticket for .2 was released at once
}

TEST(ConnectionLimits, TotalLimitAndRelease) {
    ConnectionLimits limits;
    {
        auto a = limits.try_acquire("a", 2, 5);
        auto b = limits.try_acquire("b", 2, 5);
        ASSERT_TRUE(a && b);
        EXPECT_FALSE(limits.try_acquire("c", 2, 5));
        EXPECT_EQ(limits.total(), 2u);
    }
    EXPECT_EQ(limits.total(), 0u);
    EXPECT_TRUE(limits.try_acquire("c", 2, 5));
}

} // namespace
} // namespace poplar::net
