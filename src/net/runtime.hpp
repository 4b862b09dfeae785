// What a session needs from the server that a reload (SIGHUP) may replace:
// the effective config and the password database built from it.
#pragma once

#include "auth/passwd_file.hpp"
#include "config/config.hpp"

#include <memory>
#include <string>

namespace poplar::net {

struct Runtime {
    config::Config config;
    std::shared_ptr<auth::PasswdFile> passdb;
    std::string hostname;  // config.hostname, or the machine's name
};

// Builds a Runtime from a config. Does not read the passwd-file yet.
std::shared_ptr<const Runtime> make_runtime(config::Config config);

} // namespace poplar::net
