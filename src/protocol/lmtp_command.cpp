// LMTP MAIL/RCPT arguments (see lmtp_command.hpp).
#include "protocol/lmtp_command.hpp"

#include "protocol/command.hpp"

#include <algorithm>
#include <cctype>

namespace poplar::protocol {
namespace {

// RFC 5321 section 4.5.3.1.3: a path is at most 256 octets, brackets included.
constexpr std::size_t max_path_length = 256;

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::toupper(static_cast<unsigned char>(a)) == std::toupper(static_cast<unsigned char>(b));
           });
}

// The local part unquoted: "\"a b\"@x" -> "a b@x"; nullopt for a quote left open.
std::optional<std::string> unquote(std::string_view path) {
    if (!path.starts_with('"')) return std::string(path);
    std::string local;
    for (std::size_t i = 1; i < path.size(); ++i) {
        const char c = path[i];
        if (c == '\\' && i + 1 < path.size()) {
            local += path[++i];
        } else if (c == '"') {
            return local + std::string(path.substr(i + 1));
        } else {
            local += c;
        }
    }
    return std::nullopt;
}

} // namespace

std::optional<PathArgument> parse_path_argument(std::string_view rest, std::string_view keyword) {
    if (!starts_with_nocase(rest, keyword)) return std::nullopt;
    rest.remove_prefix(keyword.size());
    while (rest.starts_with(' ')) rest.remove_prefix(1);
    if (!rest.starts_with('<')) return std::nullopt;

    // The closing '>' is the first one outside a quoted string.
    bool quoted = false;
    std::size_t close = std::string_view::npos;
    for (std::size_t i = 1; i < rest.size(); ++i) {
        const char c = rest[i];
        if (quoted && c == '\\') {
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == '>' && !quoted) {
            close = i;
            break;
        }
    }
    if (close == std::string_view::npos || close + 1 > max_path_length) return std::nullopt;
    std::string_view path = rest.substr(1, close - 1);
    for (char c : path) {
        const auto octet = static_cast<unsigned char>(c);
        if (octet < 0x20 || octet >= 0x7f) return std::nullopt;  // no SMTPUTF8 here
    }
    // RFC 5321 section 4.1.2: a source route "@a,@b:" is accepted and ignored.
    if (path.starts_with('@')) {
        const std::size_t colon = path.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        path.remove_prefix(colon + 1);
    }
    if (path.find_first_of("<>") != std::string_view::npos && !path.starts_with('"')) return std::nullopt;

    PathArgument result;
    result.path = std::string(path);
    auto address = unquote(path);
    if (!address) return std::nullopt;
    result.address = std::move(*address);

    std::string_view params = rest.substr(close + 1);
    if (params.empty()) return result;
    if (!params.starts_with(' ')) return std::nullopt;
    while (!params.empty()) {
        while (params.starts_with(' ')) params.remove_prefix(1);
        if (params.empty()) break;
        const std::size_t end = std::min(params.find(' '), params.size());
        const std::string_view param = params.substr(0, end);
        params.remove_prefix(end);
        const std::size_t equals = param.find('=');
        std::string name(param.substr(0, equals));
        if (name.empty()) return std::nullopt;
        for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        result.params.emplace_back(std::move(name),
                                   equals == std::string_view::npos ? std::string() : std::string(param.substr(equals + 1)));
    }
    return result;
}

std::vector<std::string> recipient_candidates(std::string_view address) {
    std::vector<std::string> names{std::string(address)};
    const std::size_t at = address.rfind('@');
    if (at != std::string_view::npos && at > 0) names.emplace_back(address.substr(0, at));
    return names;
}

std::optional<std::uint64_t> parse_size_parameter(std::string_view value) {
    if (value.size() > 20) return std::nullopt;
    return parse_decimal(value, UINT64_MAX);
}

} // namespace poplar::protocol
