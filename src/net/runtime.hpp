// What a session needs from the server that a reload (SIGHUP) may replace:
// the effective config and the password database built from it.
#pragma once

#include "auth/passwd_file.hpp"
#include "config/config.hpp"

#include <asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace poplar::net {

struct Runtime {
    config::Config config;
    std::shared_ptr<auth::PasswdFile> passdb;
    std::string hostname;  // config.hostname, or the machine's name
    // Certificate and TLS settings; null when no certificate is configured.
    std::shared_ptr<asio::ssl::context> tls;
};

// Builds a Runtime from a config, with `passdb` if given (a reload of the same
// passwd-file), else a new one. Does not read the passwd-file yet; reads the
// TLS certificate and key, and throws TlsSetupError if they cannot be used.
std::shared_ptr<const Runtime> make_runtime(config::Config config, std::shared_ptr<auth::PasswdFile> passdb = nullptr);

} // namespace poplar::net
