// RFC 2449 EXPIRE: which messages a session may delete because their
// retention period, counted from their first retrieval, has passed.
#pragma once

#include "store/message.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace poplar::store {

inline constexpr std::int64_t seconds_per_day = 86400;

// The ids, in snapshot order, of the messages first retrieved at least
// expire_days * 86400 seconds before now_unix. expire_days nullopt is
// "EXPIRE NEVER": none. A message never retrieved never expires, nor does one
// whose recorded first retrieval lies after now_unix (a clock set back).
// With expire_days 0 every message retrieved in an earlier session expires
// (this session's retrievals are the session's own business: EXPIRE 0).
// Pure; never throws except std::bad_alloc.
std::vector<StoreId> expired_messages(std::span<const MessageInfo> messages, std::optional<unsigned> expire_days,
                                      std::int64_t now_unix);

} // namespace poplar::store
