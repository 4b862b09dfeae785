// The rules of single keys that bounds cannot say; see checks.hpp.
#include "config/checks.hpp"

#include "config/value.hpp"

#include <algorithm>
#include <array>
#include <arpa/inet.h>
#include <cctype>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netinet/in.h>

namespace poplar::config {

namespace {

constexpr std::size_t shown = 80; // longest piece of a bad value quoted in a message

constexpr std::string_view listen_syntax =
    R"(is not "address:port" with an IPv4 address, or "[address]:port" with an IPv6 one, such as "127.0.0.1:110" or "[::1]:110")";

// Why `address` is not a listen address, or nothing.
std::optional<std::string> check_address(std::string_view address) {
    const auto refuse = [&](std::string_view why) { return fmt::format("{} {}", quote(address, shown), why); };
    std::string host;
    std::string_view port;
    bool v6 = false;
    if (address.starts_with('[')) {
        const std::size_t close = address.find("]:");
        if (close == std::string_view::npos)
            return refuse(listen_syntax);
        host = address.substr(1, close - 1);
        port = address.substr(close + 2);
        v6 = true;
    } else {
        const std::size_t colon = address.rfind(':');
        if (colon == std::string_view::npos)
            return refuse(listen_syntax);
        host = address.substr(0, colon);
        port = address.substr(colon + 1);
        if (host.find(':') != std::string::npos)
            return refuse(R"(needs brackets around its IPv6 address, as in "[::1]:110")");
    }
    // Addresses only, never names: resolving a name at start would make the
    // server depend on DNS, and a name can stand for several addresses.
    if (const std::size_t zone = host.find('%'); v6 && zone != std::string::npos) {
        // A link-local address needs its interface, "[fe80::1%eth0]:110".
        const std::string_view interface = std::string_view(host).substr(zone + 1);
        const bool plain = !interface.empty() && std::all_of(interface.begin(), interface.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
        });
        if (!plain)
            return refuse("has a bad interface name after '%'");
        host.erase(zone);
    }
    unsigned char binary[sizeof(in6_addr)];
    if (inet_pton(v6 ? AF_INET6 : AF_INET, host.c_str(), binary) != 1)
        return refuse(v6 ? "does not hold an IPv6 address in its brackets" : listen_syntax);
    try {
        if (parse_unsigned(port) > 65535)
            return refuse("has a port above 65535");
    } catch (const InvalidValue&) {
        return refuse("needs a port from 0 to 65535 after the last ':'");
    }
    return std::nullopt;
}

// Whether an address that passed check_address is on loopback: 127.0.0.0/8,
// ::1, or ::ffff:127.x.y.z.
bool on_loopback(std::string_view address) {
    const bool v6 = address.starts_with('[');
    std::string host(v6 ? address.substr(1, address.find("]:") - 1) : address.substr(0, address.rfind(':')));
    if (const std::size_t zone = host.find('%'); zone != std::string::npos)
        host.erase(zone);
    if (!v6) {
        in_addr v4{};
        return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
    }
    in6_addr a{};
    if (inet_pton(AF_INET6, host.c_str(), &a) != 1)
        return false;
    static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(std::begin(mapped), std::end(mapped), a.s6_addr))
        return a.s6_addr[12] == 127;
    return IN6_IS_ADDR_LOOPBACK(&a);
}

} // namespace

std::optional<std::string_view> lmtp_unix_path(std::string_view entry) {
    if (!entry.starts_with("unix:"))
        return std::nullopt;
    return entry.substr(5);
}

std::optional<std::string> check_lmtp_listen(const Value& value) {
    const auto& entries = std::get<std::vector<std::string>>(value);
    for (auto it = entries.begin(); it != entries.end(); ++it) {
        if (std::find(entries.begin(), it, *it) != it)
            return fmt::format("lists {} twice", quote(*it, shown));
        if (const auto path = lmtp_unix_path(*it)) {
            if (!path->starts_with('/'))
                return fmt::format("{} needs an absolute path after \"unix:\"", quote(*it, shown));
            // sockaddr_un holds 108 bytes with the terminating NUL.
            if (path->size() > 107)
                return fmt::format("{} is longer than a unix socket path may be (107 bytes)", quote(*it, shown));
            continue;
        }
        if (auto why = check_address(*it))
            return fmt::format("{} (or \"unix:/path\" for a unix socket)", *why);
        if (!on_loopback(*it))
            return fmt::format("{} is not a loopback address: LMTP has no authentication, so anyone who can "
                               "connect can deliver to every user; use 127.0.0.1, [::1] or a unix socket",
                               quote(*it, shown));
    }
    return std::nullopt;
}

std::optional<std::string> check_socket_mode(const Value& value) {
    const auto& text = std::get<std::string>(value);
    const bool octal = !text.empty() && text.size() <= 4 &&
                       std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; });
    if (!octal)
        return R"(must be an octal mode such as "0660")";
    if ((socket_mode(text) & 0600) != 0600)
        return "must let the owner read and write (0600), or poplar could not use its own socket";
    return std::nullopt;
}

unsigned socket_mode(std::string_view value) {
    unsigned mode = 0;
    for (char c : value)
        mode = mode * 8 + static_cast<unsigned>(c - '0');
    return mode;
}

std::optional<std::string> check_group_name(const Value& value) {
    const auto& name = std::get<std::string>(value);
    const bool allowed = std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
    if (!allowed || name.starts_with('-'))
        return "must be a group name: letters, digits, '_', '-' and '.'";
    return std::nullopt;
}

std::optional<std::string> check_listen(const Value& value) {
    const auto& addresses = std::get<std::vector<std::string>>(value);
    for (auto it = addresses.begin(); it != addresses.end(); ++it) {
        if (auto why = check_address(*it))
            return why;
        if (std::find(addresses.begin(), it, *it) != it)
            return fmt::format("lists {} twice", quote(*it, shown));
    }
    return std::nullopt;
}

std::optional<std::string> check_mail_path(const Value& value) {
    const auto& path = std::get<std::string>(value);
    bool per_user = false;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] != '%')
            continue;
        if (i + 1 == path.size())
            return "ends with a lone '%' (write %% for a '%')";
        const char escape = path[++i];
        if (escape == 'u' || escape == 'n' || escape == 'h')
            per_user = true;
        else if (escape != 'd' && escape != '%')
            return fmt::format("has an unknown escape {} (known: %u user, %n local part, %d domain, %h home, %% a '%')",
                               quote(std::string_view(path).substr(i - 1, 2)));
    }
    if (!per_user)
        return "must contain %u, %n or %h, or every user would share one mailbox";
    // The store refuses a relative path: it would depend on the server's working directory.
    if (!path.starts_with('/') && !path.starts_with("%h"))
        return "must be an absolute path: start with '/' or with %h";
    return std::nullopt;
}

std::optional<std::string> check_hostname(const Value& value) {
    const auto& name = std::get<std::string>(value);
    const bool allowed = std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    });
    if (!allowed)
        return "must be a host name: letters, digits, '-' and '.' only (it is sent in the greeting)";
    return std::nullopt;
}

std::optional<std::string> check_tls_version(const Value& value) {
    const auto& version = std::get<std::string>(value);
    if (version != "TLSv1.2" && version != "TLSv1.3")
        return R"(must be "TLSv1.2" or "TLSv1.3" (older versions are broken))";
    return std::nullopt;
}

std::optional<unsigned> expire_days(std::string_view value) {
    if (value == "never") return std::nullopt;
    return static_cast<unsigned>(parse_unsigned(value));
}

std::optional<std::string> check_expire(const Value& value) {
    const auto& text = std::get<std::string>(value);
    if (text == "never") return std::nullopt;
    try {
        if (parse_unsigned(text) <= 36500) return std::nullopt;
    } catch (const InvalidValue&) {
    }
    return R"(must be "never" or a number of days from 0 to 36500)";
}

std::optional<unsigned> user_expire_days(const std::map<std::string, std::string>& extra, const Config& config,
                                         std::optional<std::string>& ignored) {
    const auto field = extra.find("pop3_expire_days");
    if (field != extra.end()) {
        if (!check_expire(Value(field->second))) return expire_days(field->second);
        ignored = field->second;
    }
    return expire_days(config.expire);
}

std::span<const std::string_view> sasl_mechanism_names() {
    static constexpr std::array<std::string_view, 6> names{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1",
                                                           "PLAIN",              "LOGIN",         "CRAM-MD5"};
    return names;
}

std::optional<std::string> check_auth_mechanisms(const Value& value) {
    const auto& mechanisms = std::get<std::vector<std::string>>(value);
    const auto known = sasl_mechanism_names();
    for (auto it = mechanisms.begin(); it != mechanisms.end(); ++it) {
        if (std::find(known.begin(), known.end(), *it) == known.end())
            return fmt::format("lists {}, which is not one of {}", quote(*it, shown), fmt::join(known, ", "));
        if (std::find(mechanisms.begin(), it, *it) != it)
            return fmt::format("lists {} twice", quote(*it, shown));
    }
    return std::nullopt;
}

std::vector<std::string> check_combination(const Config& config) {
    std::vector<std::string> problems;
    const bool tls = !config.tls_certificate.empty() || !config.tls_private_key.empty();
    if (tls && (config.tls_certificate.empty() || config.tls_private_key.empty()))
        problems.push_back("tls_certificate and tls_private_key must be set together");
    if (!config.listen_tls.empty() && config.tls_certificate.empty())
        problems.push_back("listen_tls needs tls_certificate and tls_private_key");
    for (const auto& address : config.listen_tls)
        // Port 0 takes a free port each time: two of them never collide.
        if (!address.ends_with(":0") && std::find(config.listen.begin(), config.listen.end(), address) != config.listen.end())
            problems.push_back(fmt::format("{} is in both listen and listen_tls", quote(address, shown)));
    for (const auto& address : config.allow_plaintext_auth)
        if (std::find(config.listen.begin(), config.listen.end(), address) == config.listen.end())
            problems.push_back(fmt::format("allow_plaintext_auth lists {}, which is not in listen", quote(address, shown)));
    for (const auto& address : config.lmtp_listen)
        if (!address.ends_with(":0") && (std::find(config.listen.begin(), config.listen.end(), address) != config.listen.end() ||
                                         std::find(config.listen_tls.begin(), config.listen_tls.end(), address) != config.listen_tls.end()))
            problems.push_back(fmt::format("{} is in lmtp_listen and in listen or listen_tls", quote(address, shown)));
    return problems;
}

} // namespace poplar::config
