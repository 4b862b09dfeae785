// `poplar deliver` (see deliver_command.hpp).
#include "cli/deliver_command.hpp"

#include "cli/user_lookup.hpp"
#include "store/maildir_delivery.hpp"
#include "store/maildir_owner.hpp"

#include <fmt/format.h>
#include <sysexits.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <iostream>

namespace poplar::cli {

int run_deliver(const config::Config& config, const std::string& user) {
    const UserLookup lookup = look_up_user(config, user);
    if (!lookup.readable) {
        std::cerr << "poplar: deliver: " << lookup.error << "; try again later\n";
        return EX_TEMPFAIL;
    }
    if (!lookup.entry) {
        std::cerr << fmt::format("poplar: deliver: no such user: {}\n", user);
        return EX_NOUSER;
    }
    const auto maildir = maildir_of(config, user, lookup.entry->user.home);
    if (!maildir) return EX_TEMPFAIL;  // a config mistake the administrator can mend; keep the mail

    store::MaildirDelivery delivery(*maildir, store::maildir_owner(lookup.entry->user.uid, lookup.entry->user.gid),
                                    config.max_message_size);
    std::array<char, 64 * 1024> buffer{};
    bool first = true;
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            std::cerr << fmt::format("poplar: deliver: cannot read the message: {}\n", std::strerror(errno));
            return EX_TEMPFAIL;
        }
        if (n == 0) break;
        std::string_view piece(buffer.data(), static_cast<std::size_t>(n));
        if (first) {
            first = false;
            // An mbox envelope line ("From sender date"), as Postfix's pipe(8)
            // with flag F or procmail passes it, is not part of the message.
            if (piece.starts_with("From ")) {
                const auto end = piece.find('\n');
                piece.remove_prefix(end == std::string_view::npos ? piece.size() : end + 1);
            }
        }
        delivery.append(piece);
    }
    const store::DeliveryResult result = delivery.finish();
    switch (result.status) {
    case store::DeliveryStatus::ok:
        return 0;
    case store::DeliveryStatus::temporary:
        std::cerr << fmt::format("poplar: deliver to {}: {}; try again later\n", user, result.detail);
        return EX_TEMPFAIL;
    case store::DeliveryStatus::too_big:
        std::cerr << fmt::format("poplar: deliver to {}: 552 5.3.4 {}\n", user, result.detail);
        return EX_CANTCREAT;
    case store::DeliveryStatus::not_a_message:
        std::cerr << fmt::format("poplar: deliver to {}: {}\n", user, result.detail);
        return EX_DATAERR;
    }
    return EX_SOFTWARE;
}

} // namespace poplar::cli
