// Tests of expired_messages: RFC 2449 EXPIRE counted from the first retrieval.
#include "store/expiry.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace poplar::store {
namespace {

constexpr std::int64_t day = 86400;
constexpr std::int64_t now = 1700000000;

MessageInfo message(std::string id, std::optional<std::int64_t> first_retrieved) {
    MessageInfo info{StoreId{id}, id, 10};
    info.first_retrieved = first_retrieved;
    return info;
}

std::vector<std::string> expired(const std::vector<MessageInfo>& messages, std::optional<unsigned> days,
                                 std::int64_t at = now) {
    std::vector<std::string> names;
    for (const StoreId& id : expired_messages(messages, days, at)) {
        names.push_back(id.value);
    }
    return names;
}

using Names = std::vector<std::string>;

TEST(ExpiredMessages, NeverExpiresNothing) {
    std::vector<MessageInfo> messages{message("old", 0), message("recent", now)};
    EXPECT_EQ(expired(messages, std::nullopt), Names{});
}

TEST(ExpiredMessages, ExactlyNDaysIsExpiredOneSecondLessIsNot) {
    std::vector<MessageInfo> messages{message("exact", now - 30 * day), message("young", now - 30 * day + 1),
                                      message("older", now - 31 * day)};
    EXPECT_EQ(expired(messages, 30u), (Names{"exact", "older"}));
}

TEST(ExpiredMessages, ZeroDaysExpiresEveryEarlierRetrieval) {
    std::vector<MessageInfo> messages{message("now", now), message("earlier", now - 1), message("never", std::nullopt)};
    EXPECT_EQ(expired(messages, 0u), (Names{"now", "earlier"}));
}

TEST(ExpiredMessages, NeverRetrievedNeverExpires) {
    std::vector<MessageInfo> messages{message("a", std::nullopt), message("b", std::nullopt)};
    for (unsigned days : {0u, 1u, 3650u}) {
        EXPECT_EQ(expired(messages, days), Names{}) << days;
    }
}

TEST(ExpiredMessages, ARetrievalInTheFutureDoesNotExpire) {
    // The clock was set back since: the record is newer than now.
    std::vector<MessageInfo> messages{message("future", now + 1)};
    EXPECT_EQ(expired(messages, 0u), Names{});
    EXPECT_EQ(expired(messages, 1u), Names{});
}

TEST(ExpiredMessages, KeepsSnapshotOrder) {
    std::vector<MessageInfo> messages{message("c", 10), message("a", std::nullopt), message("b", 5)};
    EXPECT_EQ(expired(messages, 1u), (Names{"c", "b"}));
}

TEST(ExpiredMessages, ExtremeValuesDoNotOverflow) {
    constexpr auto min = std::numeric_limits<std::int64_t>::min();
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    constexpr auto most_days = std::numeric_limits<unsigned>::max();  // ~11.7 million years
    std::vector<MessageInfo> messages{message("epoch", 0), message("min", min), message("max", max)};
    EXPECT_EQ(expired(messages, most_days, max), (Names{"epoch", "min"}));
    EXPECT_EQ(expired(messages, most_days, now), Names{"min"});
    EXPECT_EQ(expired(messages, 0u, min), Names{"min"});
    EXPECT_EQ(expired(messages, 0u, -1), (Names{"min"}));
}

TEST(ExpiredMessages, EmptySnapshot) { EXPECT_EQ(expired({}, 0u), Names{}); }

} // namespace
} // namespace poplar::store
