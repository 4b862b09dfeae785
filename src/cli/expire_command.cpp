// `poplar expire` (see expire_command.hpp).
#include "cli/expire_command.hpp"

#include "auth/passwd_edit.hpp"
#include "cli/user_lookup.hpp"
#include "config/checks.hpp"
#include "store/expiry.hpp"
#include "store/maildir.hpp"
#include "store/maildir_owner.hpp"

#include <fmt/format.h>
#include <sysexits.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

namespace poplar::cli {
namespace {

// A POP3 session holds a mailbox for seconds to minutes: wait a little for it,
// then leave it for the next run (or its own QUIT, which expires too).
constexpr int lock_attempts = 4;
constexpr auto lock_pause = std::chrono::milliseconds(500);

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

enum class Outcome { done, skipped, failed };

Outcome expire_user(const config::Config& config, const auth::PasswdEntry& entry, bool dry_run) {
    const std::string& name = entry.user.name;
    std::optional<std::string> ignored;
    const auto days = config::user_expire_days(entry.user.extra, config, ignored);
    if (ignored) {
        std::cerr << fmt::format("poplar: expire: {} has pop3_expire_days={}; using the server's expire\n", name,
                                 *ignored);
    }
    if (!days) return Outcome::done;  // NEVER
    const auto maildir = maildir_of(config, name, entry.user.home);
    if (!maildir) return Outcome::failed;
    std::error_code ec;
    if (!std::filesystem::exists(*maildir, ec)) return Outcome::done;  // no mail yet

    store::OpenResult opened;
    for (int attempt = 0; attempt < lock_attempts; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(lock_pause);
        opened = store::open_maildir(*maildir, store::maildir_owner(entry.user.uid, entry.user.gid));
        if (opened.status != store::OpenStatus::in_use) break;
    }
    if (opened.status == store::OpenStatus::in_use) {
        std::cout << fmt::format("{}: in use by a POP3 session; skipped (its QUIT or the next run expires it)\n", name);
        return Outcome::skipped;
    }
    if (opened.status != store::OpenStatus::ok) {
        std::cerr << fmt::format("poplar: expire: {}: {}\n", name, opened.detail);
        return Outcome::failed;
    }
    const auto& messages = opened.mailbox->messages();
    const auto expired = store::expired_messages(messages, days, unix_now());
    std::uint64_t octets = 0;
    for (const auto& message : messages) {
        if (std::find(expired.begin(), expired.end(), message.id) != expired.end()) octets += message.size;
    }
    if (expired.empty()) return Outcome::done;
    if (dry_run) {
        std::cout << fmt::format("{}: would remove {} of {} messages ({} octets), first retrieved {}+ days ago\n", name,
                                 expired.size(), messages.size(), octets, *days);
        for (const auto& id : expired) std::cout << "  " << id.value << "\n";
        return Outcome::done;
    }
    const store::UpdateResult result = opened.mailbox->remove(expired);
    std::cout << fmt::format("{}: removed {} of {} messages ({} octets), first retrieved {}+ days ago\n", name,
                             result.removed, messages.size(), octets, *days);
    if (result.lease_lost || !result.failed.empty()) {
        std::cerr << fmt::format("poplar: expire: {}: {} could not be removed\n", name,
                                 result.lease_lost ? std::string("the lock was lost; nothing")
                                                   : fmt::format("{} messages", result.failed.size()));
        return Outcome::failed;
    }
    return Outcome::done;
}

} // namespace

int run_expire(const config::Config& config, const std::vector<std::string>& users, bool dry_run) {
    std::vector<auth::PasswdEntry> entries;
    if (users.empty()) {
        try {
            for (const auto& name : auth::passwd_file_users(config.passwd_file)) {
                if (auto lookup = look_up_user(config, name); lookup.entry) entries.push_back(std::move(*lookup.entry));
            }
        } catch (const auth::PasswdEditError& e) {
            std::cerr << "poplar: expire: " << e.what() << "\n";
            return EX_TEMPFAIL;
        }
    } else {
        for (const auto& name : users) {
            auto lookup = look_up_user(config, name);
            if (!lookup.readable) {
                std::cerr << "poplar: expire: " << lookup.error << "\n";
                return EX_TEMPFAIL;
            }
            if (!lookup.entry) {
                std::cerr << "poplar: expire: no user " << name << "\n";
                return EX_NOUSER;
            }
            entries.push_back(std::move(*lookup.entry));
        }
    }
    bool all_done = true;
    for (const auto& entry : entries) {
        all_done = expire_user(config, entry, dry_run) == Outcome::done && all_done;
    }
    return all_done ? 0 : EX_TEMPFAIL;
}

} // namespace poplar::cli
