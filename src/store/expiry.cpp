// RFC 2449 EXPIRE (see expiry.hpp).
#include "store/expiry.hpp"

namespace poplar::store {

std::vector<StoreId> expired_messages(std::span<const MessageInfo> messages, std::optional<unsigned> expire_days,
                                      std::int64_t now_unix) {
    std::vector<StoreId> expired;
    if (!expire_days) {
        return expired;
    }
    // At most 2^32 days of 86400 s: about 3.7e14, no overflow in 64 bits.
    const std::uint64_t period = std::uint64_t{*expire_days} * seconds_per_day;
    for (const MessageInfo& message : messages) {
        if (!message.first_retrieved || *message.first_retrieved > now_unix) {
            continue;
        }
        // now - first fits 64 unsigned bits even from INT64_MIN to INT64_MAX.
        const std::uint64_t age = static_cast<std::uint64_t>(now_unix) - static_cast<std::uint64_t>(*message.first_retrieved);
        if (age >= period) {
            expired.push_back(message.id);
        }
    }
    return expired;
}

} // namespace poplar::store
