// Fuzz target: the passwd-file parser (auth/passwd_file.hpp,
// parse_passwd_file) and the scheme parsing behind it (password_scheme.hpp's
// plaintext_secret and check_password for plaintext schemes, scram.hpp's
// parse_scram_secret for {SCRAM-SHA-1}/{SCRAM-SHA-256} secrets and for the raw
// input). crypt(3) and SCRAM checks are not run: their cost is the point.
//
// Invariants: each entry has a usable user name (non-empty, no '/', no space,
// not "." or "..", no control byte), a scheme of A-Z 0-9 - _ . only, and no
// control byte in any field; user names are unique; each skipped line gives
// one error "line N: ..." that does not quote the line's secret; entries plus
// errors never outnumber the lines; a {PLAIN} secret is its own plaintext and
// matches itself; a SCRAM secret that parses has iterations within bounds,
// a salt, keys of the digest's size, and survives format/parse unchanged.
#include "auth/passwd_file.hpp"
#include "auth/password_scheme.hpp"
#include "auth/scram.hpp"
#include "fuzz_check.hpp"

#include <cstdint>
#include <set>
#include <string>

namespace {

using namespace poplar::auth;

bool has_control(std::string_view text) {
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) return true;
    }
    return false;
}

void check_scram(ScramHash hash, std::string_view text) {
    const auto secrets = parse_scram_secret(hash, text);
    if (!secrets) return;
    FUZZ_CHECK(secrets->iterations >= min_scram_iterations && secrets->iterations <= max_scram_iterations, "iterations");
    FUZZ_CHECK(!secrets->salt.empty(), "empty salt");
    FUZZ_CHECK(secrets->stored_key.size() == digest_size(hash) && secrets->server_key.size() == digest_size(hash),
               "key sizes");
    const auto again = parse_scram_secret(hash, format_scram_secret(*secrets));
    FUZZ_CHECK(again && again->iterations == secrets->iterations && again->salt == secrets->salt &&
                   again->stored_key == secrets->stored_key && again->server_key == secrets->server_key,
               "format/parse changed a SCRAM secret");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_scram(ScramHash::sha1, text);
    check_scram(ScramHash::sha256, text);

    const PasswdParseResult result = parse_passwd_file(text);
    std::vector<std::string_view> lines;
    for (std::string_view rest = text; !rest.empty();) {
        const auto lf = rest.find('\n');
        lines.push_back(rest.substr(0, lf));
        rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
    }
    FUZZ_CHECK(result.entries.size() + result.errors.size() <= lines.size(), "more results than lines");

    std::set<std::string> users;
    for (const PasswdEntry& entry : result.entries) {
        const std::string& name = entry.user.name;
        FUZZ_CHECK(!name.empty() && name.find('/') == std::string::npos && name.find(' ') == std::string::npos &&
                       name != "." && name != ".." && !has_control(name),
                   "unusable user name: " + poplar::fuzz::escaped(name));
        FUZZ_CHECK(users.insert(name).second, "duplicate user: " + poplar::fuzz::escaped(name));
        FUZZ_CHECK(!entry.scheme.empty(), "empty scheme");
        for (char c : entry.scheme) {
            FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.',
                       "scheme character: " + poplar::fuzz::escaped(entry.scheme));
        }
        FUZZ_CHECK(!has_control(entry.secret) && !has_control(entry.user.home), "control byte in a field");
        for (const auto& [key, value] : entry.user.extra) {
            FUZZ_CHECK(!key.empty() && key.find(' ') == std::string::npos && value.find(' ') == std::string::npos,
                       "extra field: " + poplar::fuzz::escaped(key));
        }
        const auto plain = plaintext_secret(entry.scheme, entry.secret);
        const bool plaintext_scheme = entry.scheme == "PLAIN" || entry.scheme == "CLEARTEXT";
        FUZZ_CHECK(plain.has_value() == plaintext_scheme, "plaintext_secret for scheme " + entry.scheme);
        if (plaintext_scheme) {
            FUZZ_CHECK(*plain == entry.secret, "plaintext secret changed");
            FUZZ_CHECK(check_password(entry.scheme, entry.secret, entry.secret) == SchemeCheck::match, "PLAIN mismatch");
            FUZZ_CHECK(check_password(entry.scheme, entry.secret, entry.secret + "x") == SchemeCheck::mismatch,
                       "PLAIN matched a longer password");
        }
        if (entry.scheme == "SCRAM-SHA-1") check_scram(ScramHash::sha1, entry.secret);
        if (entry.scheme == "SCRAM-SHA-256") check_scram(ScramHash::sha256, entry.secret);
    }

    for (const std::string& error : result.errors) {
        FUZZ_CHECK(error.starts_with("line "), "error without a line number: " + poplar::fuzz::escaped(error));
        const std::size_t number = std::strtoul(error.c_str() + 5, nullptr, 10);
        FUZZ_CHECK(number >= 1 && number <= lines.size(), "error names a line that is not there");
        // The secret is the second ':' field; a long one must not be quoted.
        // Only secrets shaped like crypt strings (a '$', no space or quote)
        // are looked for, so that a secret that spells an error's own text
        // (or runs from a quoted user name into it) is no finding.
        std::string_view line = lines[number - 1];
        const auto first = line.find(':');
        if (first == std::string_view::npos) continue;
        std::string_view secret = line.substr(first + 1);
        secret = secret.substr(0, secret.find(':'));
        if (secret.size() >= 12 && secret.find('$') != std::string_view::npos &&
            secret.find_first_of(" '") == std::string_view::npos && line.substr(0, first).find(secret) == std::string_view::npos) {
            FUZZ_CHECK(error.find(secret) == std::string::npos, "an error quotes the secret: " + poplar::fuzz::escaped(error));
        }
    }
    return 0;
}
