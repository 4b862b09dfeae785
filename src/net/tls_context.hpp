// The server's TLS settings as an OpenSSL context: certificate chain, key,
// protocol versions and ciphers from the config. Built at start and again on
// SIGHUP; a session keeps the context it started with.
#pragma once

#include "config/config.hpp"

#include <asio/ssl/context.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace poplar::net {

// A certificate or key that cannot be used; what() names the file and why.
class TlsSetupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The context for `config`, or nullptr when no certificate is configured (no
// TLS). Throws TlsSetupError.
std::shared_ptr<asio::ssl::context> make_tls_context(const config::Config& config);

// One line about the certificate in use, for check-config and the log:
// "subject=CN=pop.example.org issuer=... expires=2027-01-01T00:00:00Z".
std::string describe_certificate(asio::ssl::context& context);

} // namespace poplar::net
