// `poplar migrate-uidl` (see migrate_command.hpp).
#include "cli/migrate_command.hpp"

#include "cli/user_lookup.hpp"
#include "store/maildir_owner.hpp"
#include "store/uidl_import.hpp"

#include <fmt/format.h>
#include <sysexits.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

namespace poplar::cli {

int run_migrate_uidl(const config::Config& config, const std::string& user, const std::string& file) {
    const UserLookup lookup = look_up_user(config, user);
    if (!lookup.readable) {
        std::cerr << "poplar: migrate-uidl: " << lookup.error << "\n";
        return EX_TEMPFAIL;
    }
    if (!lookup.entry) {
        std::cerr << fmt::format("poplar: migrate-uidl: no user {} in {}\n", user, config.passwd_file.string());
        return EX_NOUSER;
    }
    const auto maildir = maildir_of(config, user, lookup.entry->user.home);
    if (!maildir) return EX_CONFIG;

    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad()) {
        std::cerr << fmt::format("poplar: migrate-uidl: cannot read {}: {}\n", file, std::strerror(errno));
        return EX_NOINPUT;
    }
    const store::UidlMap map = store::parse_uidl_map(text.str());
    if (!map.problems.empty()) {
        for (const auto& problem : map.problems) {
            std::cerr << fmt::format("poplar: {} line {}: {}\n", file, problem.line, problem.reason);
        }
        std::cerr << fmt::format("poplar: migrate-uidl: {} bad lines in {}; nothing imported\n", map.problems.size(),
                                 file);
        return EX_DATAERR;
    }

    const store::UidlImportReport report = store::import_uidls(
        *maildir, store::maildir_owner(lookup.entry->user.uid, lookup.entry->user.gid), map.entries);
    if (report.status == store::OpenStatus::in_use) {
        std::cerr << fmt::format("poplar: migrate-uidl: the Maildir of {} is in use by a POP3 session; try again\n",
                                 user);
        return EX_TEMPFAIL;
    }
    if (report.status != store::OpenStatus::ok) {
        std::cerr << fmt::format("poplar: migrate-uidl: cannot open the Maildir of {}: {}\n", user, report.detail);
        return EX_IOERR;
    }
    if (!report.refused.empty()) {
        for (const auto& problem : report.refused) {
            std::cerr << fmt::format("poplar: {} line {}: {}\n", file, problem.line, problem.reason);
        }
        std::cerr << fmt::format("poplar: migrate-uidl: {} lines refused; nothing imported\n", report.refused.size());
        return EX_DATAERR;
    }
    if (report.write_error) {
        std::cerr << fmt::format("poplar: migrate-uidl: cannot write {}/poplar-uidls: {}\n", maildir->string(),
                                 report.write_error.message());
        return EX_IOERR;
    }
    std::cout << fmt::format("matched {} of {} lines; {} UIDLs written to {}\n", report.matched, map.entries.size(),
                             report.written, (*maildir / "poplar-uidls").string());
    for (const auto& problem : report.unmatched) {
        std::cout << fmt::format("not matched: line {}: {}\n", problem.line, problem.reason);
    }
    return 0;
}

} // namespace poplar::cli
