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
    // Implicit-TLS listening sockets (RFC 8314, port 995): TLS from the first byte.
    std::vector<std::string> listen_tls{};
    // Listeners (from `listen`) where plaintext auth is allowed without TLS from
    // any address; loopback and TLS connections are always allowed.
    std::vector<std::string> allow_plaintext_auth{};
    // Certificate chain (PEM, server certificate first) and its private key;
    // both empty: no TLS (no STLS, no listen_tls).
    std::filesystem::path tls_certificate{};
    std::filesystem::path tls_private_key{};
    // "TLSv1.2" or "TLSv1.3".
    std::string tls_min_version{"TLSv1.2"};
    // TLS 1.2 cipher list and TLS 1.3 cipher suites (OpenSSL syntax): Mozilla's "intermediate".
    std::string tls_ciphers{
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
        "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"};
    std::string tls_ciphersuites{"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"};
    // Time allowed for a TLS handshake (STLS or implicit TLS).
    std::chrono::seconds tls_handshake_timeout{15};
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
    // SASL mechanisms offered by AUTH (RFC 5034), in the order CAPA lists them.
    std::vector<std::string> auth_mechanisms{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN"};
    // RFC 2449 EXPIRE: days a retrieved message is kept, or "never".
    std::string expire{"never"};
    // Apply `expire` at each QUIT too (else only `poplar expire` does).
    bool expire_at_quit = true;
    // RFC 2449 LOGIN-DELAY: shortest time between two logins of a user; 0 for none.
    std::chrono::seconds login_delay{0};
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
    // Largest message `poplar deliver` and LMTP accept, in octets; 0: no limit.
    std::size_t max_message_size = 0;
    // Bad commands tolerated before the server hangs up.
    unsigned max_bad_commands_before_login = 3;
    unsigned max_bad_commands = 20;
    // LMTP (RFC 2033) listeners: "unix:/path" or a loopback "address:port";
    // empty: no LMTP.
    std::vector<std::string> lmtp_listen{};
    // Permissions of the LMTP unix sockets, octal; and their group (empty:
    // the server's own), so that only the MTA can connect.
    std::string lmtp_socket_mode{"0660"};
    std::string lmtp_socket_group{};
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
