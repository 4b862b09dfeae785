// Maildir file names: parsing "time.unique.host[,S=size][,W=vsize][:2,flags]"
// and the delivery order between two names.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace poplar::store {

// The parts of one Maildir file name. The views point into the parsed name,
// which must outlive this value.
struct MaildirName {
    // Everything before the first ':' — the part that never changes while the
    // message lives (flags are rewritten after the ':'). This is the StoreId.
    std::string_view base;
    // After the first ':', e.g. "2,RS"; empty when the name has no ':'.
    std::string_view info;
    // The flag letters of a "2," info, e.g. "RS"; empty otherwise.
    std::string_view flags;
    // True when the name starts with a decimal timestamp and a '.', as every
    // MDA writes it. Other names are "garbage": they sort after all
    // well-formed ones and their ",S="/",W=" fields are not trusted.
    bool well_formed = false;
    std::uint64_t time = 0;
    // The microseconds of an "M<usec>" part of the unique field (Dovecot's
    // "M<usec>P<pid>...", Postfix's "V<dev>I<ino>M<usec>").
    std::optional<std::uint64_t> usec;
    // ",S=" (physical size) and ",W=" (size with CRLF line ends) of the base
    // name, when present with a valid decimal value and the name well formed.
    std::optional<std::uint64_t> s_size;
    std::optional<std::uint64_t> w_size;
};

// Parses any byte string; never fails. A name that does not follow the
// convention gives well_formed == false and no fields.
MaildirName parse_maildir_name(std::string_view file_name);

// The delivery order (docs/maildir.md): well-formed names first, by timestamp,
// then names without "M<usec>" before names with one, then by microseconds,
// then by base name; garbage names last, by base name. A strict weak order.
bool delivered_before(const MaildirName& a, const MaildirName& b);

} // namespace poplar::store
