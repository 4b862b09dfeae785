// User lookup for the command-line tools (see user_lookup.hpp).
#include "cli/user_lookup.hpp"

#include "store/mail_path.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

namespace poplar::cli {

UserLookup look_up_user(const config::Config& config, const std::string& name) {
    UserLookup lookup;
    std::ifstream in(config.passwd_file, std::ios::binary);
    if (!in) {
        lookup.error = fmt::format("cannot read {}: {}", config.passwd_file.string(), std::strerror(errno));
        return lookup;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        lookup.error = fmt::format("cannot read {}", config.passwd_file.string());
        return lookup;
    }
    lookup.readable = true;
    for (auto& entry : auth::parse_passwd_file(text.str()).entries) {
        if (entry.user.name == name) {
            lookup.entry = std::move(entry);
            break;
        }
    }
    return lookup;
}

std::optional<std::filesystem::path> maildir_of(const config::Config& config, const std::string& name,
                                                const std::string& home) {
    auto path = store::expand_mail_path(config.mail_path, name, home);
    if (!path) std::cerr << fmt::format("poplar: mail_path {} gives no usable Maildir for {}\n", config.mail_path, name);
    return path;
}

} // namespace poplar::cli
