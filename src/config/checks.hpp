// The rules of single keys that bounds cannot say: listen addresses, the mail
// path template, the host name.
#pragma once

#include "config/value.hpp"

#include <optional>
#include <string>

namespace poplar::config {

// Each "address:port" (IPv4) or "[address]:port" (IPv6, "%interface" allowed),
// port 0..65535, none twice.
std::optional<std::string> check_listen(const Value& value);

// Only %u %n %d %h %% escapes, at least one of %u %n %h so that users do not
// share one mailbox, and absolute (starts with '/' or %h).
std::optional<std::string> check_mail_path(const Value& value);

// Empty, or letters, digits, '-' and '.': the name goes into the greeting and
// the APOP timestamp, where a space, '<' or '>' would break clients.
std::optional<std::string> check_hostname(const Value& value);

} // namespace poplar::config
