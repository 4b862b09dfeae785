// check-config's report on TLS and authentication: the certificate read the
// way the server reads it, and where passwords may travel.
#pragma once

#include "config/config.hpp"

#include <ostream>

namespace poplar::cli {

// Prints the TLS and auth settings in effect to `out`. Returns false when the
// certificate or key cannot be used (the server would refuse to start).
bool report_tls(const config::Config& config, std::ostream& out);

} // namespace poplar::cli
