// The administration subcommands: `poplar pw`, `poplar user add|passwd|del|list`
// and `poplar mailbox stats`. Each returns the process exit code (sysexits.h
// values for failures) and writes its messages to stderr.
#pragma once

#include "config/config.hpp"

#include <cstdint>
#include <string>

namespace poplar::cli {

// Hashes a password read from the terminal or stdin; prints "{SCHEME}...".
int run_pw(const std::string& scheme);

struct UserAddOptions {
    std::string name;
    std::string scheme = "YESCRYPT";
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::string home;
};

int run_user_add(const config::Config& config, const UserAddOptions& options);
int run_user_passwd(const config::Config& config, const std::string& name, const std::string& scheme);
int run_user_del(const config::Config& config, const std::string& name, bool keep_mail);
int run_user_list(const config::Config& config);
int run_mailbox_stats(const config::Config& config, const std::string& name);

} // namespace poplar::cli
