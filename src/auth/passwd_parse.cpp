// parse_passwd_file(): Dovecot's passwd-file text to entries, bad lines reported and skipped.
#include "auth/passwd_file.hpp"

#include <charconv>
#include <fmt/format.h>
#include <unordered_map>

namespace poplar::auth {

namespace {

// The field positions of user:{SCHEME}secret:uid:gid:gecos:home:shell:extra.
enum Field : std::size_t { f_user, f_secret, f_uid, f_gid, f_gecos, f_home, f_shell, f_extra, field_count };

// Splits on ':' into at most field_count fields. The last one, extra, takes
// the rest of the line, ':' included, as Dovecot does: "userdb_mail=maildir:~/Maildir"
// is common there.
std::vector<std::string_view> split_fields(std::string_view line)
{
    std::vector<std::string_view> fields;
    while (fields.size() + 1 < field_count) {
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            break;
        fields.push_back(line.substr(0, colon));
        line.remove_prefix(colon + 1);
    }
    fields.push_back(line);
    return fields;
}

bool has_control_char(std::string_view text)
{
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f)
            return true;
    return false;
}

// Empty is allowed (a missing uid/gid reads as 0); anything else must be all
// digits and fit in 32 bits.
std::optional<std::uint32_t> parse_id(std::string_view text)
{
    std::uint32_t value = 0;
    if (text.empty())
        return value;
    if (text.front() < '0' || text.front() > '9')
        return std::nullopt; // from_chars would not take '+', but be explicit about '-'
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// Why the user name is unusable, or empty when it is fine. Names become
// Maildir paths (<mail_root>/<user>), so path tricks are refused here too.
std::string_view bad_user_reason(std::string_view user)
{
    if (user.empty())
        return "empty user name";
    if (user.find('/') != std::string_view::npos)
        return "user name contains '/'";
    if (user == "." || user == "..")
        return "user name is '.' or '..'";
    if (user.find(' ') != std::string_view::npos)
        return "user name contains a space";
    return {};
}

// Splits `{SCHEME}secret`; no braces means Dovecot's passwd-file default, CRYPT.
// Fills `error` and returns false on "{" without "}", or an empty or odd name.
bool split_scheme(std::string_view field, PasswdEntry& entry, std::string& error)
{
    if (!field.starts_with('{')) {
        entry.scheme = "CRYPT";
        entry.secret = std::string{field};
        return true;
    }
    const auto close = field.find('}');
    if (close == std::string_view::npos) {
        error = "password field starts with '{' but has no '}'";
        return false;
    }
    const auto name = field.substr(1, close - 1);
    if (name.empty()) {
        error = "empty {SCHEME}";
        return false;
    }
    std::string upper;
    for (char c : name) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
            || c == '_' || c == '.';
        if (!ok) {
            error = "scheme name has a character other than A-Z, 0-9, '-', '_', '.'";
            return false;
        }
        upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    entry.scheme = std::move(upper);
    entry.secret = std::string{field.substr(close + 1)};
    return true;
}

// Space-separated key=value; a bare key means key=yes (Dovecot's boolean
// fields, e.g. "nodelay"). A later duplicate key replaces an earlier one.
bool parse_extra(std::string_view text, std::map<std::string, std::string>& extra, std::string& error)
{
    while (!text.empty()) {
        const auto space = text.find(' ');
        const auto token = text.substr(0, space);
        text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
        if (token.empty())
            continue; // runs of spaces
        const auto equals = token.find('=');
        const auto key = token.substr(0, equals);
        if (key.empty()) {
            error = "extra field with an empty key";
            return false;
        }
        extra[std::string{key}] = equals == std::string_view::npos ? "yes" : std::string{token.substr(equals + 1)};
    }
    return true;
}

// Parses one non-blank, non-comment line. On failure fills `error` (never with
// the secret) and returns nullopt.
std::optional<PasswdEntry> parse_line(std::string_view line, std::string& error)
{
    // NUL is a control character too, but name it: it usually means a binary file.
    if (line.find('\0') != std::string_view::npos) {
        error = "NUL byte in line";
        return std::nullopt;
    }
    if (has_control_char(line)) {
        error = "control character in line";
        return std::nullopt;
    }
    const auto fields = split_fields(line);
    const auto field = [&](Field f) { return f < fields.size() ? fields[f] : std::string_view{}; };

    PasswdEntry entry;
    if (auto reason = bad_user_reason(field(f_user)); !reason.empty()) {
        error = reason;
        return std::nullopt;
    }
    if (fields.size() <= f_secret) {
        error = "no password field";
        return std::nullopt;
    }
    if (!split_scheme(field(f_secret), entry, error))
        return std::nullopt;
    const auto uid = parse_id(field(f_uid));
    if (!uid) {
        error = "uid is not a number";
        return std::nullopt;
    }
    const auto gid = parse_id(field(f_gid));
    if (!gid) {
        error = "gid is not a number";
        return std::nullopt;
    }
    if (!parse_extra(field(f_extra), entry.user.extra, error))
        return std::nullopt;
    entry.user.name = std::string{field(f_user)};
    entry.user.uid = *uid;
    entry.user.gid = *gid;
    entry.user.home = std::string{field(f_home)};
    // gecos and shell are accepted and ignored, as Dovecot does.
    return entry;
}

bool is_blank(std::string_view line)
{
    return line.find_first_not_of(" \t") == std::string_view::npos;
}

} // namespace

PasswdParseResult parse_passwd_file(std::string_view text)
{
    PasswdParseResult result;
    std::unordered_map<std::string_view, std::size_t> first_line_of; // user -> line number
    std::size_t line_number = 0;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        auto line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        ++line_number;
        // Leniency: a file edited on Windows has CRLF line ends.
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        if (is_blank(line) || line.starts_with('#'))
            continue;

        std::string error;
        auto entry = parse_line(line, error);
        if (!entry) {
            result.errors.push_back(fmt::format("line {}: {}; line skipped", line_number, error));
            continue;
        }
        // The key views `line`, which lives as long as `text`'s buffer.
        const std::string_view name = line.substr(0, entry->user.name.size());
        if (auto [it, inserted] = first_line_of.try_emplace(name, line_number); !inserted) {
            result.errors.push_back(fmt::format(
                "line {}: duplicate user '{}', first defined on line {}; line skipped", line_number, name, it->second));
            continue;
        }
        result.entries.push_back(std::move(*entry));
    }
    return result;
}

} // namespace poplar::auth
