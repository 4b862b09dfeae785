// The login record <dir>/poplar-last-login (see last_login.hpp).
#include "store/last_login.hpp"

#include "store/record_file.hpp"

#include <limits>
#include <string>

namespace poplar::store {

namespace {

// "9223372036854775807\n" is 20 bytes; a longer file is not one we wrote.
constexpr std::size_t max_file_bytes = 32;

} // namespace

std::optional<std::int64_t> read_last_login(int dir_fd) {
    std::optional<std::string> content = read_small_file(dir_fd, last_login_file_name, max_file_bytes);
    if (!content) {
        return std::nullopt;
    }
    std::string_view text = *content;
    if (!text.empty() && text.back() == '\n') {
        text.remove_suffix(1);
    }
    std::optional<std::uint64_t> seconds = parse_decimal(text);
    if (!seconds || *seconds > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(*seconds);
}

std::error_code write_last_login(int dir_fd, std::int64_t now_unix, const std::optional<MaildirOwner>& owner) {
    if (now_unix < 0) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    return replace_file(dir_fd, last_login_file_name, std::to_string(now_unix) + "\n", owner);
}

} // namespace poplar::store
