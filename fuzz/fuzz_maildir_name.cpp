// Fuzz target: Maildir file-name parsing (store/maildir_name.hpp) and the
// delivery order.
//
// Invariants: parse never fails and its views lie inside the name: base is
// everything before the first ':', info everything after it, flags the tail of
// a "2," info; sizes and the time only for a well-formed name, which starts
// with the decimal time and a '.'; delivered_before is irreflexive and
// asymmetric, and agrees for names with one base (flags never reorder mail).
#include "fuzz_check.hpp"
#include "store/maildir_name.hpp"

#include <cstdint>
#include <string>

namespace {

using poplar::store::MaildirName;

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check(std::string_view name, const MaildirName& parsed) {
    const std::size_t colon = name.find(':');
    FUZZ_CHECK(parsed.base == name.substr(0, colon), "base is not the part before ':'");
    FUZZ_CHECK(colon == std::string_view::npos ? parsed.info.empty() : parsed.info == name.substr(colon + 1),
               "info is not the part after ':'");
    FUZZ_CHECK(inside(parsed.base, name) && inside(parsed.info, name) && inside(parsed.flags, name), "view outside");
    if (!parsed.flags.empty()) {
        FUZZ_CHECK(parsed.info.starts_with("2,") && parsed.info.substr(2) == parsed.flags, "flags outside a 2, info");
    }
    if (!parsed.well_formed) {
        FUZZ_CHECK(!parsed.s_size && !parsed.w_size && !parsed.usec && parsed.time == 0, "fields of a garbage name");
    } else {
        const std::size_t dot = parsed.base.find('.');
        FUZZ_CHECK(dot != std::string_view::npos && dot > 0, "well formed without time.");
        FUZZ_CHECK(parsed.base.substr(0, dot).find_first_not_of("0123456789") == std::string_view::npos,
                   "well formed with a non-decimal time");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // Two names, split at the first '/', which no file name holds.
    const std::size_t slash = input.find('/');
    const std::string_view a = input.substr(0, slash);
    const std::string_view b = slash == std::string_view::npos ? std::string_view{} : input.substr(slash + 1);

    const MaildirName pa = poplar::store::parse_maildir_name(a);
    const MaildirName pb = poplar::store::parse_maildir_name(b);
    check(a, pa);
    check(b, pb);
    FUZZ_CHECK(!poplar::store::delivered_before(pa, pa), "a name delivered before itself");
    FUZZ_CHECK(!(poplar::store::delivered_before(pa, pb) && poplar::store::delivered_before(pb, pa)),
               "two names each delivered before the other");
    // The same message with other flags sorts the same against b.
    const std::string renamed = std::string(pa.base) + ":2,RS";
    const MaildirName pr = poplar::store::parse_maildir_name(renamed);
    FUZZ_CHECK(poplar::store::delivered_before(pa, pb) == poplar::store::delivered_before(pr, pb) &&
                   poplar::store::delivered_before(pb, pa) == poplar::store::delivered_before(pb, pr),
               "flags changed the delivery order");
    return 0;
}
