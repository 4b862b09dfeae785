// Reading a new password for `poplar pw` and `poplar user`: from the terminal
// without echo (typed twice), or one line from stdin for scripts.
#pragma once

#include <optional>
#include <string>

namespace poplar::cli {

// The password, or nullopt with a message on stderr (the two entries differ,
// it is empty, or there is no input). The caller wipes it after use.
std::optional<std::string> read_new_password();

} // namespace poplar::cli
