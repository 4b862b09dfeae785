// The login record <dir>/poplar-last-login: when the mailbox was last logged
// into, for RFC 2449 LOGIN-DELAY.
#pragma once

#include "store/maildir_owner.hpp"

#include <cstdint>
#include <optional>
#include <system_error>

namespace poplar::store {

inline constexpr const char* last_login_file_name = "poplar-last-login";

// The time in <dir_fd>/poplar-last-login: decimal unix seconds, optionally
// followed by one '\n', and nothing else. nullopt when the file is missing,
// unreadable, or holds anything else (a sign, spaces, a number past 2^63-1):
// then no previous login is known and no delay applies.
std::optional<std::int64_t> read_last_login(int dir_fd);

// Replaces the file by one holding `now_unix` (temp file, fsync, rename; see
// replace_file). A negative time is refused (EINVAL): it could not be read back.
std::error_code write_last_login(int dir_fd, std::int64_t now_unix, const std::optional<MaildirOwner>& owner);

} // namespace poplar::store
