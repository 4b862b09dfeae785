// Finding one user's passwd-file entry for the command-line tools, without
// the server's caching and without hashing anything.
#pragma once

#include "auth/passwd_file.hpp"
#include "config/config.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace poplar::cli {

struct UserLookup {
    bool readable = false;               // false: the passwd-file could not be read
    std::optional<auth::PasswdEntry> entry;  // set when the user is in it
    std::string error;                   // why it could not be read
};

UserLookup look_up_user(const config::Config& config, const std::string& name);

// The user's Maildir by mail_path; nullopt (message on stderr) when the
// template gives none for this user.
std::optional<std::filesystem::path> maildir_of(const config::Config& config, const std::string& name,
                                                const std::string& home);

} // namespace poplar::cli
