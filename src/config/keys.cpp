// The table of config keys, and reading, writing and checking a key's value.
#include "config/keys.hpp"

#include "config/checks.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fmt/format.h>

namespace poplar::config {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::uint64_t ms(seconds s) { return static_cast<std::uint64_t>(milliseconds{s}.count()); }

// Longest path the kernel takes (PATH_MAX, terminating NUL excluded).
constexpr std::uint64_t max_path = 4095;

// The defaults are not here: they are the member initializers in Config.
constexpr std::array table{
    Key{.name = "listen", .field = &Config::listen,
        .doc = R"(Sockets to listen on: "address:port" for IPv4, "[address]:port" for IPv6; port 0 takes any free port)",
        .min = 1, .max = 64, .check = check_listen},
    Key{.name = "listen_tls", .field = &Config::listen_tls,
        .doc = "Sockets where TLS starts with the first byte (RFC 8314, port 995); needs tls_certificate",
        .min = 0, .max = 64, .check = check_listen},
    Key{.name = "allow_plaintext_auth", .field = &Config::allow_plaintext_auth,
        .doc = "Addresses from listen where USER/PASS and SASL PLAIN/LOGIN are allowed without TLS; "
               "elsewhere they need STLS first, except from loopback",
        .min = 0, .max = 64, .check = check_listen},
    Key{.name = "tls_certificate", .field = &Config::tls_certificate,
        .doc = "PEM certificate chain, server certificate first; empty means no TLS (no STLS, no listen_tls)",
        .min = 0, .max = max_path},
    Key{.name = "tls_private_key", .field = &Config::tls_private_key,
        .doc = "PEM private key of tls_certificate; re-read with the certificate on SIGHUP",
        .min = 0, .max = max_path},
    Key{.name = "tls_min_version", .field = &Config::tls_min_version,
        .doc = R"(Oldest TLS version accepted: "TLSv1.2" or "TLSv1.3")",
        .min = 1, .max = 16, .check = check_tls_version},
    Key{.name = "tls_ciphers", .field = &Config::tls_ciphers,
        .doc = "TLS 1.2 cipher list (OpenSSL syntax); the default is Mozilla's intermediate list",
        .min = 1, .max = 4096},
    Key{.name = "tls_ciphersuites", .field = &Config::tls_ciphersuites,
        .doc = "TLS 1.3 cipher suites (OpenSSL syntax)",
        .min = 1, .max = 4096},
    Key{.name = "tls_handshake_timeout", .field = &Config::tls_handshake_timeout,
        .doc = "Time allowed for a TLS handshake, after STLS or on a listen_tls socket",
        .min = ms(seconds{1}), .max = ms(seconds{300})},
    Key{.name = "workers", .field = &Config::workers,
        .doc = "Event-loop threads; 0 means one per core",
        .min = 0, .max = 1024},
    Key{.name = "blocking_threads", .field = &Config::blocking_threads,
        .doc = "Threads for blocking work (password hashing, mailbox scans); 0 means 2 per core",
        .min = 0, .max = 1024},
    Key{.name = "hostname", .field = &Config::hostname,
        .doc = "Name in the greeting and the APOP timestamp; empty means the machine's host name",
        .min = 0, .max = 253, .check = check_hostname}, // 253: the longest DNS name (RFC 1035)
    Key{.name = "passwd_file", .field = &Config::passwd_file,
        .doc = "Dovecot passwd-file with the users (user:{SCHEME}secret:uid:gid:gecos:home:shell:extra)",
        .min = 1, .max = max_path},
    Key{.name = "mail_path", .field = &Config::mail_path,
        .doc = "Maildir of a user: %u user, %n local part, %d domain, %h home, %% a '%'; needs %u, %n or %h",
        .min = 1, .max = max_path, .check = check_mail_path},
    Key{.name = "apop", .field = &Config::apop,
        .doc = "Offer APOP (RFC 1939 section 7, a timestamp in the greeting); works only for {PLAIN} secrets"},
    Key{.name = "auth_mechanisms", .field = &Config::auth_mechanisms,
        .doc = "SASL mechanisms for AUTH (RFC 5034): SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, LOGIN, "
               "CRAM-MD5 (CRAM-MD5 works only for {PLAIN} secrets, like APOP); -PLUS is offered over TLS only",
        .min = 0, .max = 8, .check = check_auth_mechanisms},
    Key{.name = "expire", .field = &Config::expire,
        .doc = "Days poplar keeps a message after a client first retrieved it, then removes it at the next QUIT "
               "(RFC 2449 EXPIRE, shown in CAPA); \"never\", or 0 to 36500; a user's passwd-file extra field "
               "pop3_expire_days= overrides it",
        .min = 1, .max = 5, .check = check_expire},
    Key{.name = "expire_at_quit", .field = &Config::expire_at_quit,
        .doc = "Remove expired messages at each QUIT of their user; false leaves it to `poplar expire` run from cron "
               "or a timer"},
    Key{.name = "login_delay", .field = &Config::login_delay,
        .doc = "Shortest time between two logins of one user (RFC 2449 LOGIN-DELAY, shown in CAPA and enforced "
               "with [LOGIN-DELAY]); 0s means no limit",
        .min = 0, .max = ms(std::chrono::hours{24})},
    Key{.name = "last_command", .field = &Config::last_command,
        .doc = "Answer RFC 1225 LAST, still sent by some old clients"},
    Key{.name = "auth_failure_delay", .field = &Config::auth_failure_delay,
        .doc = "Delay before answering a failed login, the same for an unknown user and a bad password",
        .min = 0, .max = ms(seconds{60}),
        .why = "a longer delay holds connections open without slowing a guesser who opens many"},
    Key{.name = "idle_timeout", .field = &Config::idle_timeout,
        .doc = "Idle time allowed after login",
        .min = ms(seconds{10}), .max = ms(std::chrono::hours{24}),
        .why = "RFC 1939 section 3 asks for at least 10 minutes"},
    Key{.name = "login_timeout", .field = &Config::login_timeout,
        .doc = "Time allowed from connect to a successful login (a total, not restarted by each command)",
        .min = ms(seconds{1}), .max = ms(std::chrono::hours{1})},
    Key{.name = "max_line_length", .field = &Config::max_line_length,
        .doc = "Longest command line accepted, CRLF included",
        .min = 512, .max = 1'048'576,
        .why = "RFC 2449 limits commands to 255 octets, but SASL responses (RFC 5034) can be much longer"},
    Key{.name = "max_connections", .field = &Config::max_connections,
        .doc = "Connections at once, from all clients",
        .min = 1, .max = 1'000'000},
    Key{.name = "max_connections_per_ip", .field = &Config::max_connections_per_ip,
        .doc = "Connections at once from one client IP address",
        .min = 1, .max = 1'000'000},
    Key{.name = "max_message_size", .field = &Config::max_message_size,
        .doc = "Largest message poplar deliver and LMTP accept, in octets (larger: deliver exits 73, LMTP answers "
               "\"552 5.3.4\"; LMTP counts CRLF line ends and announces it in LHLO as SIZE); 0 means no limit",
        .min = 0, .max = 4294967295},
    Key{.name = "max_bad_commands_before_login", .field = &Config::max_bad_commands_before_login,
        .doc = "The bad command (or failed login) before login that ends the session: answered -ERR, then the connection closes",
        .min = 1, .max = 1000},
    Key{.name = "max_bad_commands", .field = &Config::max_bad_commands,
        .doc = "The bad command after login that ends the session: answered -ERR, then the connection closes",
        .min = 1, .max = 1000},
    Key{.name = "lmtp_listen", .field = &Config::lmtp_listen,
        .doc = R"(LMTP (RFC 2033) sockets for the MTA to deliver into the Maildirs: "unix:/path" or "address:port" )"
               R"(on a loopback address (LMTP has no authentication); empty means no LMTP)",
        .min = 0, .max = 64, .check = check_lmtp_listen},
    Key{.name = "lmtp_socket_mode", .field = &Config::lmtp_socket_mode,
        .doc = R"(Permissions of the LMTP unix sockets, in octal, such as "0660" (owner and group may deliver))",
        .min = 1, .max = 5, .check = check_socket_mode},
    Key{.name = "lmtp_socket_group", .field = &Config::lmtp_socket_group,
        .doc = R"(Group given to the LMTP unix sockets, such as "postfix"; empty means the server's own group)",
        .min = 0, .max = 32, .check = check_group_name}, // 32: the longest group name useradd(8) allows
};

// The range as shown in errors and doc lines: "10s and 24h", "1 and 1000".
std::string range(const Key& key) {
    if (key.kind() == Kind::duration)
        return fmt::format("{} and {}", format_duration(milliseconds{key.min}), format_duration(milliseconds{key.max}));
    return fmt::format("{} and {}", key.min, key.max);
}

std::string with_why(std::string text, const Key& key) {
    if (!key.why.empty())
        text += fmt::format(" ({})", key.why);
    return text;
}

// Lower case, '-' read as '_' (command-line habit): how names are compared for suggestions.
std::string fold(std::string_view name) {
    std::string out(name);
    for (char& c : out)
        c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Edits (insert, delete, substitute, swap two neighbours) that turn a into b.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

// Checks every string of the kind gets: TOML can only hold UTF-8, and a control
// character in a path or a name is a mistake (or an attack on the greeting line).
std::optional<std::string> check_text(std::string_view text) {
    if (!is_valid_utf8(text))
        return "must be UTF-8 text";
    if (has_control_character(text))
        return "must not contain control characters";
    return std::nullopt;
}

} // namespace

Kind Key::kind() const {
    struct KindOf {
        Kind operator()(std::string Config::*) const { return Kind::string; }
        Kind operator()(std::filesystem::path Config::*) const { return Kind::string; }
        Kind operator()(std::vector<std::string> Config::*) const { return Kind::string_list; }
        Kind operator()(bool Config::*) const { return Kind::boolean; }
        Kind operator()(unsigned Config::*) const { return Kind::unsigned_integer; }
        Kind operator()(std::size_t Config::*) const { return Kind::unsigned_integer; }
        Kind operator()(milliseconds Config::*) const { return Kind::duration; }
        Kind operator()(seconds Config::*) const { return Kind::duration; }
    };
    return std::visit(KindOf{}, field);
}

std::span<const Key> keys() { return table; }

const Key* find_key(std::string_view name) {
    const auto it = std::find_if(table.begin(), table.end(), [&](const Key& key) { return key.name == name; });
    return it == table.end() ? nullptr : &*it;
}

std::optional<std::string_view> suggest_key(std::string_view unknown) {
    const std::string folded = fold(unknown);
    std::optional<std::string_view> best;
    std::size_t best_distance = std::max<std::size_t>(2, folded.size() / 3) + 1; // farther is a different word
    for (const Key& key : table) {
        const std::size_t distance = edit_distance(folded, key.name);
        if (distance < best_distance) {
            best = key.name;
            best_distance = distance;
        }
    }
    return best;
}

std::string doc_line(const Key& key) {
    if (key.kind() == Kind::unsigned_integer || key.kind() == Kind::duration)
        return with_why(fmt::format("{}. Between {}", key.doc, range(key)), key) + ".";
    return fmt::format("{}.", key.doc);
}

std::string out_of_bounds(const Key& key) { return with_why(fmt::format("must be between {}", range(key)), key); }

Value get(const Config& config, const Key& key) {
    struct Getter {
        const Config& config;
        Value operator()(std::string Config::*member) const { return config.*member; }
        Value operator()(std::filesystem::path Config::*member) const { return (config.*member).string(); }
        Value operator()(std::vector<std::string> Config::*member) const { return config.*member; }
        Value operator()(bool Config::*member) const { return config.*member; }
        Value operator()(unsigned Config::*member) const { return std::uint64_t{config.*member}; }
        Value operator()(std::size_t Config::*member) const { return std::uint64_t{config.*member}; }
        Value operator()(milliseconds Config::*member) const { return config.*member; }
        Value operator()(seconds Config::*member) const { return milliseconds{config.*member}; }
    };
    return std::visit(Getter{config}, key.field);
}

void set(Config& config, const Key& key, const Value& value) {
    struct Setter {
        Config& config;
        const Value& value;
        void operator()(std::string Config::*member) const { config.*member = std::get<std::string>(value); }
        void operator()(std::filesystem::path Config::*member) const { config.*member = std::get<std::string>(value); }
        void operator()(std::vector<std::string> Config::*member) const {
            config.*member = std::get<std::vector<std::string>>(value);
        }
        void operator()(bool Config::*member) const { config.*member = std::get<bool>(value); }
        // Narrowing is safe: validate() kept the number within bounds that fit.
        void operator()(unsigned Config::*member) const {
            config.*member = static_cast<unsigned>(std::get<std::uint64_t>(value));
        }
        void operator()(std::size_t Config::*member) const {
            config.*member = static_cast<std::size_t>(std::get<std::uint64_t>(value));
        }
        void operator()(milliseconds Config::*member) const { config.*member = std::get<milliseconds>(value); }
        void operator()(seconds Config::*member) const {
            config.*member = std::chrono::duration_cast<seconds>(std::get<milliseconds>(value));
        }
    };
    std::visit(Setter{config, value}, key.field);
}

std::optional<std::string> validate(const Key& key, const Value& value) {
    switch (key.kind()) {
    case Kind::string: {
        const auto& text = std::get<std::string>(value);
        if (auto why = check_text(text))
            return why;
        if (text.size() < key.min)
            return "must not be empty";
        if (text.size() > key.max)
            return fmt::format("must be at most {} bytes long", key.max);
        break;
    }
    case Kind::string_list: {
        const auto& items = std::get<std::vector<std::string>>(value);
        for (const std::string& item : items)
            if (auto why = check_text(item))
                return why;
        if (items.size() < key.min)
            return fmt::format("must list at least {}", key.min);
        if (items.size() > key.max)
            return fmt::format("must list at most {}", key.max);
        break;
    }
    case Kind::boolean: break;
    case Kind::unsigned_integer: {
        const auto number = std::get<std::uint64_t>(value);
        if (number < key.min || number > key.max)
            return out_of_bounds(key);
        break;
    }
    case Kind::duration: {
        const auto count = static_cast<std::uint64_t>(std::get<milliseconds>(value).count());
        if (count < key.min || count > key.max)
            return out_of_bounds(key);
        if (std::holds_alternative<seconds Config::*>(key.field) && count % 1000 != 0)
            return "must be a whole number of seconds";
        break;
    }
    }
    if (key.check)
        return key.check(value);
    return std::nullopt;
}

} // namespace poplar::config
