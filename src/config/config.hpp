// poplar's configuration: one typed table of keys, loaded from TOML and
// overridden from the command line with the same key names.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace poplar::config {

struct Config {
    // Listening sockets, "address:port" ("[::1]:1110" for IPv6).
    std::vector<std::string> listen{"127.0.0.1:1110"};
    // Event-loop threads; 0 means one per core.
    unsigned workers = 0;
    // Threads for blocking work (password hashing, mailbox scans); 0 means 2 per core.
    unsigned blocking_threads = 0;
    // Name used in the greeting and the APOP timestamp; empty means the host name.
    std::string hostname;
    // Dovecot passwd-file with the users.
    std::filesystem::path passwd_file{"/etc/poplar/users"};
    // Maildir of a user: %u user, %n local part, %d domain, %h home, %% a '%'.
    std::string mail_path{"/var/mail/poplar/%u"};
    // Offer APOP (timestamp in the greeting); works only for {PLAIN} secrets.
    bool apop = false;
    // Answer RFC 1225 LAST, still sent by some old clients.
    bool last_command = true;
    // Delay before answering a failed login (same for unknown user and bad password).
    std::chrono::milliseconds auth_failure_delay{2000};
    // Idle time allowed after login (RFC 1939 section 3: at least 10 minutes).
    std::chrono::seconds idle_timeout{600};
    // Idle time allowed before login.
    std::chrono::seconds login_timeout{60};
    // Longest command line accepted, CRLF included.
    std::size_t max_line_length = 4096;
    // Connections at once, in all and from one client IP address.
    unsigned max_connections = 1000;
    unsigned max_connections_per_ip = 20;
    // Bad commands tolerated before the server hangs up.
    unsigned max_bad_commands_before_login = 3;
    unsigned max_bad_commands = 20;
};

// A config file or override that cannot be used; what() names the key, the
// value and why, in a sentence an administrator can act on.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One "-o key=value" override.
struct Override {
    std::string key;
    std::string value;
};

// Parses "key=value"; throws ConfigError if there is no '='.
Override parse_override(std::string_view text);

// Loads `file` (if given; a missing file is an error), applies the overrides in
// order, validates every key (type, bounds, unknown keys refused), and returns
// the effective configuration. Throws ConfigError.
Config load(const std::optional<std::filesystem::path>& file, const std::vector<Override>& overrides);

// The effective configuration as TOML, one documented key per line: what
// `poplar check-config` prints. load() of this text gives the same Config.
std::string describe(const Config& config);

} // namespace poplar::config
