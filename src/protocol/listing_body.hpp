// Multi-line LIST, UIDL and CAPA bodies, generated a batch of lines at a time
// so that a 100,000-message listing is never built whole.
#pragma once

#include "protocol/body_source.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace poplar::protocol {

// Calls line(i, out) for i = 0..count-1; the callback appends one line with its
// CRLF to out, or nothing to skip entry i (a deleted message). Lines are never
// dot-stuffed: callers only produce lines that cannot start with '.'.
// The callback must stay valid until the body is drained.
std::unique_ptr<BodySource> make_listing_body(std::size_t count,
                                              std::function<void(std::size_t, std::string&)> line);

} // namespace poplar::protocol
