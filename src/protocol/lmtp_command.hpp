// Parsing the arguments of LMTP's MAIL and RCPT (RFC 5321 section 4.1.2, as
// RFC 2033 takes them over): the path in angle brackets and its parameters,
// and the passwd-file names a recipient address may stand for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace poplar::protocol {

struct PathArgument {
    // The path between '<' and '>' without a source route ("@a,@b:"), as
    // written: what Return-Path shows. Empty for the null path "<>".
    std::string path;
    // The mailbox with a quoted local part unquoted: what user lookup uses.
    std::string address;
    // ESMTP parameters after the path: keyword (upper-cased) and value ("" if none).
    std::vector<std::pair<std::string, std::string>> params;
};

// Parses `rest` of "MAIL FROM:<path> params" or "RCPT TO:<path> params";
// `keyword` is "FROM:" or "TO:" (matched without regard to case). Leniency:
// spaces between the colon and '<' are accepted (some clients send them).
// Refused: no brackets, a control character or 8-bit octet in the path, a
// path over 256 octets (RFC 5321 section 4.5.3.1.3), text after '>' that is
// not " param...". nullopt when refused.
std::optional<PathArgument> parse_path_argument(std::string_view rest, std::string_view keyword);

// The passwd-file names an LMTP recipient is looked up under, in order: the
// whole address ("alice@example.org", for a passwd-file of full addresses),
// then its local part ("alice"). No case folding: passwd-file names are
// case-sensitive, as in Dovecot.
std::vector<std::string> recipient_candidates(std::string_view address);

// RFC 1870 SIZE=n: decimal digits only, at most 20 of them; nullopt otherwise.
std::optional<std::uint64_t> parse_size_parameter(std::string_view value);

} // namespace poplar::protocol
