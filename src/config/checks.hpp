// The rules of single keys that bounds cannot say: listen addresses, the mail
// path template, the host name.
#pragma once

#include "config/config.hpp"
#include "config/value.hpp"

#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>
#include <string>

namespace poplar::config {

// Each "address:port" (IPv4) or "[address]:port" (IPv6, "%interface" allowed),
// port 0..65535, none twice.
std::optional<std::string> check_listen(const Value& value);

// Each "unix:/absolute/path" or "address:port" as check_listen says, on a
// loopback address only (LMTP trusts whoever connects), none twice.
std::optional<std::string> check_lmtp_listen(const Value& value);

// The unix socket path of an lmtp_listen entry, or nullopt for a TCP address.
std::optional<std::string_view> lmtp_unix_path(std::string_view entry);

// An octal file mode "0600".."0777" style: 1 to 4 octal digits.
std::optional<std::string> check_socket_mode(const Value& value);

// The mode a value that passed check_socket_mode gives.
unsigned socket_mode(std::string_view value);

// Empty, or a group name as useradd(8) allows: letters, digits, '_', '-', '.'.
std::optional<std::string> check_group_name(const Value& value);

// Only %u %n %d %h %% escapes, at least one of %u %n %h so that users do not
// share one mailbox, and absolute (starts with '/' or %h).
std::optional<std::string> check_mail_path(const Value& value);

// Empty, or letters, digits, '-' and '.': the name goes into the greeting and
// the APOP timestamp, where a space, '<' or '>' would break clients.
std::optional<std::string> check_hostname(const Value& value);

// "TLSv1.2" or "TLSv1.3".
std::optional<std::string> check_tls_version(const Value& value);

// "never", or a number of days from 0 to 36500.
std::optional<std::string> check_expire(const Value& value);

// The days an `expire` value gives (nullopt: never); the value must have passed check_expire.
std::optional<unsigned> expire_days(std::string_view value);

// RFC 2449 EXPIRE for one user: the passwd-file extra field pop3_expire_days=
// when it holds a valid value, else the server's `expire`. `ignored` is set to
// the field's text when it was present but not valid (for the log).
std::optional<unsigned> user_expire_days(const std::map<std::string, std::string>& extra, const Config& config,
                                         std::optional<std::string>& ignored);

// The SASL mechanisms poplar implements, by their RFC names.
std::span<const std::string_view> sasl_mechanism_names();

// Names of SASL mechanisms poplar implements, none twice.
std::optional<std::string> check_auth_mechanisms(const Value& value);

// Rules across keys (TLS files set together, listen_tls and listen apart,
// allow_plaintext_auth naming listen addresses): one message per problem.
std::vector<std::string> check_combination(const Config& config);

} // namespace poplar::config
