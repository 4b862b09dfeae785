// The administration subcommands (see admin_commands.hpp).
#include "cli/admin_commands.hpp"

#include "auth/credentials.hpp"
#include "auth/passwd_edit.hpp"
#include "auth/passwd_file.hpp"
#include "auth/password_hash.hpp"
#include "cli/password_input.hpp"
#include "cli/user_lookup.hpp"
#include "store/maildir.hpp"
#include "store/maildir_name.hpp"
#include "store/maildir_owner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sysexits.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

namespace poplar::cli {
namespace {

int exit_code(const auth::PasswdEditError& error) {
    switch (error.kind()) {
    case auth::PasswdEditError::Kind::no_such_user: return EX_NOUSER;
    case auth::PasswdEditError::Kind::user_exists: return EX_CANTCREAT;
    case auth::PasswdEditError::Kind::bad_input: return EX_DATAERR;
    case auth::PasswdEditError::Kind::locked: return EX_TEMPFAIL;
    case auth::PasswdEditError::Kind::io: return EX_IOERR;
    }
    return EX_SOFTWARE;
}

bool known_scheme(const std::string& scheme) {
    const auto schemes = auth::writable_schemes();
    std::string upper = scheme;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (std::find(schemes.begin(), schemes.end(), upper) != schemes.end()) return true;
    std::cerr << fmt::format("poplar: unknown scheme {}; poplar writes {}\n", scheme, fmt::join(schemes, ", "));
    return false;
}

// Reads a password and hashes it; nullopt (message printed) on failure.
std::optional<std::string> new_secret(const std::string& scheme) {
    auto password = read_new_password();
    if (!password) return std::nullopt;
    auto secret = auth::hash_password(scheme, *password);
    auth::wipe(*password);
    if (!secret) std::cerr << fmt::format("poplar: cannot hash the password with {}\n", scheme);
    return secret;
}

// The user's line as the server reads it, for the Maildir's path and owner.
std::optional<auth::PasswdEntry> find_entry(const config::Config& config, const std::string& name) {
    return look_up_user(config, name).entry;
}

std::string age_text(std::int64_t seconds) {
    if (seconds < 3600) return fmt::format("{} min", seconds / 60);
    if (seconds < 2 * 86400) return fmt::format("{} h", seconds / 3600);
    return fmt::format("{} days", seconds / 86400);
}

} // namespace

int run_pw(const std::string& scheme) {
    if (!known_scheme(scheme)) return EX_USAGE;
    auto secret = new_secret(scheme);
    if (!secret) return EX_DATAERR;
    std::cout << *secret << "\n";
    return 0;
}

int run_user_add(const config::Config& config, const UserAddOptions& options) {
    if (!known_scheme(options.scheme)) return EX_USAGE;
    try {
        auth::check_user_name(options.name);
    } catch (const auth::PasswdEditError& e) {
        std::cerr << "poplar: " << e.what() << "\n";
        return exit_code(e);
    }
    const auto maildir = maildir_of(config, options.name, options.home);
    if (!maildir) return EX_CONFIG;
    auto secret = new_secret(options.scheme);
    if (!secret) return EX_DATAERR;
    try {
        auth::edit_passwd_file(config.passwd_file, /*create=*/true, [&](auth::PasswdText& text) {
            text.add(auth::NewUser{options.name, *secret, options.uid, options.gid, options.home, {}});
        });
    } catch (const auth::PasswdEditError& e) {
        std::cerr << "poplar: " << e.what() << "\n";
        return exit_code(e);
    }
    // The Maildir as a login would make it: cur/new/tmp, given to the user's uid/gid.
    const auto opened = store::open_maildir(*maildir, store::maildir_owner(options.uid, options.gid));
    if (opened.status != store::OpenStatus::ok && opened.status != store::OpenStatus::in_use) {
        std::cerr << fmt::format("poplar: user {} added, but its Maildir {} could not be made: {}\n", options.name,
                                 maildir->string(), opened.detail);
        return EX_CANTCREAT;
    }
    std::cerr << fmt::format("poplar: added user {} ({}), Maildir {}\n", options.name,
                             secret->substr(0, secret->find('}') + 1), maildir->string());
    return 0;
}

int run_user_passwd(const config::Config& config, const std::string& name, const std::string& scheme) {
    if (!known_scheme(scheme)) return EX_USAGE;
    try {
        // Before asking for a password: say "no such user" at once.
        const auto users = auth::passwd_file_users(config.passwd_file);
        if (std::find(users.begin(), users.end(), name) == users.end()) {
            std::cerr << "poplar: no user " << name << "\n";
            return EX_NOUSER;
        }
        auto secret = new_secret(scheme);
        if (!secret) return EX_DATAERR;
        auth::edit_passwd_file(config.passwd_file, false, [&](auth::PasswdText& text) { text.set_secret(name, *secret); });
    } catch (const auth::PasswdEditError& e) {
        std::cerr << "poplar: " << e.what() << "\n";
        return exit_code(e);
    }
    std::cerr << "poplar: password of " << name << " changed\n";
    return 0;
}

int run_user_del(const config::Config& config, const std::string& name, bool keep_mail) {
    const auto entry = find_entry(config, name);
    std::optional<std::filesystem::path> maildir;
    std::unique_ptr<store::Mailbox> locked;
    if (entry && !keep_mail) {
        maildir = maildir_of(config, name, entry->user.home);
        if (!maildir) return EX_CONFIG;
        std::error_code ec;
        if (std::filesystem::exists(*maildir, ec)) {
            // Taking the session lock first: a mailbox in use is not pulled
            // from under a POP3 session.
            auto opened = store::open_maildir(*maildir);
            if (opened.status == store::OpenStatus::in_use) {
                std::cerr << fmt::format("poplar: the Maildir of {} is in use by a POP3 session; try again\n", name);
                return EX_TEMPFAIL;
            }
            locked = std::move(opened.mailbox);
        } else {
            maildir.reset();
        }
    }
    try {
        auth::edit_passwd_file(config.passwd_file, false, [&](auth::PasswdText& text) { text.remove(name); });
    } catch (const auth::PasswdEditError& e) {
        std::cerr << "poplar: " << e.what() << "\n";
        return exit_code(e);
    }
    if (maildir) {
        std::error_code ec;
        const auto removed = std::filesystem::remove_all(*maildir, ec);
        if (ec) {
            std::cerr << fmt::format("poplar: user {} removed, but not all of its Maildir {}: {}\n", name,
                                     maildir->string(), ec.message());
            return EX_IOERR;
        }
        std::cerr << fmt::format("poplar: removed user {} and its Maildir {} ({} files and folders)\n", name,
                                 maildir->string(), removed);
        return 0;
    }
    std::cerr << fmt::format("poplar: removed user {}{}\n", name, keep_mail ? "; the Maildir is kept" : "");
    return 0;
}

int run_user_list(const config::Config& config) {
    try {
        for (const auto& user : auth::passwd_file_users(config.passwd_file)) std::cout << user << "\n";
    } catch (const auth::PasswdEditError& e) {
        std::cerr << "poplar: " << e.what() << "\n";
        return exit_code(e);
    }
    return 0;
}

int run_mailbox_stats(const config::Config& config, const std::string& name) {
    const auto entry = find_entry(config, name);
    if (!entry) {
        std::cerr << "poplar: no user " << name << " in " << config.passwd_file.string() << "\n";
        return EX_NOUSER;
    }
    const auto maildir = maildir_of(config, name, entry->user.home);
    if (!maildir) return EX_CONFIG;
    std::error_code ec;
    if (!std::filesystem::exists(*maildir, ec)) {
        std::cout << fmt::format("user {}\nmaildir {} (not made yet: no mail delivered, no login)\nmessages 0\n", name,
                                 maildir->string());
        return 0;
    }
    auto opened = store::open_maildir(*maildir, store::maildir_owner(entry->user.uid, entry->user.gid));
    if (opened.status == store::OpenStatus::in_use) {
        std::cerr << fmt::format("poplar: the Maildir of {} is in use by a POP3 session; try again\n", name);
        return EX_TEMPFAIL;
    }
    if (opened.status != store::OpenStatus::ok) {
        std::cerr << fmt::format("poplar: cannot open the Maildir of {}: {}\n", name, opened.detail);
        return EX_IOERR;
    }
    const auto& messages = opened.mailbox->messages();
    std::uint64_t total = 0;
    std::uint64_t largest = 0;
    std::optional<std::uint64_t> oldest;
    std::size_t retrieved = 0;
    for (const auto& message : messages) {
        total += message.size;
        largest = std::max(largest, message.size);
        const auto parsed = store::parse_maildir_name(message.id.value);
        if (parsed.well_formed) oldest = std::min(oldest.value_or(parsed.time), parsed.time);
        retrieved += message.first_retrieved ? 1 : 0;
    }
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    std::cout << fmt::format("user {}\nmaildir {}\nmessages {}\noctets {}\nlargest {}\nretrieved {}\n", name,
                             maildir->string(), messages.size(), total, largest, retrieved);
    if (oldest) {
        std::cout << fmt::format("oldest {}\n", age_text(std::max<std::int64_t>(0, now - static_cast<std::int64_t>(*oldest))));
    }
    return 0;
}

} // namespace poplar::cli
