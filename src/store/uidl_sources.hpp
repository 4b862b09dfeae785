// What the readers of UIDL files share: the callback that receives one
// message's UIDL, and what a reader tells about the file it read.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace poplar::store {

// Called once per usable line, in file order: `base_name` is a Maildir base
// name (the file name up to its first ':'), `uidl` the UIDL the file gives it,
// not yet checked against RFC 1939. Both views end with the call. Of two
// lines for one base name, the consumer keeps the later.
using OnUidl = std::function<void(std::string_view base_name, std::string_view uidl)>;

struct UidlFileSummary {
    bool header_ok = false;    // the file is in a format the reader knows
    std::size_t entries = 0;   // lines passed to the callback
    std::size_t skipped = 0;   // lines after the header that were not
};

} // namespace poplar::store
