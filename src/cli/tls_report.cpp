// The TLS and auth report of check-config (see tls_report.hpp).
#include "cli/tls_report.hpp"

#include "net/tls_context.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace poplar::cli {

bool report_tls(const config::Config& config, std::ostream& out) {
    bool usable = true;
    if (config.tls_certificate.empty()) {
        out << "poplar: tls: off (no tls_certificate): no STLS, and USER/PASS, PLAIN and LOGIN only from loopback"
            << (config.allow_plaintext_auth.empty() ? "" : " and allow_plaintext_auth listeners") << "\n";
    } else {
        try {
            auto context = net::make_tls_context(config);
            out << "poplar: tls: certificate " << net::describe_certificate(*context) << "\n";
            out << fmt::format("poplar: tls: {} and newer; STLS on {}; implicit TLS on {}\n", config.tls_min_version,
                               config.listen.empty() ? "-" : fmt::format("{}", fmt::join(config.listen, " ")),
                               config.listen_tls.empty() ? "-" : fmt::format("{}", fmt::join(config.listen_tls, " ")));
        } catch (const net::TlsSetupError& e) {
            out << "poplar: tls: " << e.what() << "; the server would not start\n";
            usable = false;
        }
    }
    out << fmt::format("poplar: auth: plaintext passwords (USER/PASS, PLAIN, LOGIN) accepted over TLS, from "
                       "loopback{}\n",
                       config.allow_plaintext_auth.empty()
                           ? ""
                           : fmt::format(", and on {}", fmt::join(config.allow_plaintext_auth, " ")));
    out << fmt::format("poplar: auth: SASL {}{}\n",
                       config.auth_mechanisms.empty() ? "off" : fmt::format("{}", fmt::join(config.auth_mechanisms, " ")),
                       config.apop ? "; APOP on" : "");
    return usable;
}

} // namespace poplar::cli
