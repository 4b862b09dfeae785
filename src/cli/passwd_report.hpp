// check-config's look at the passwd-file: can poplar read it, and would every
// line give a user who can log in?
#pragma once

#include <filesystem>
#include <ostream>

namespace poplar::cli {

// Reads and parses the passwd-file, and writes what an administrator should
// know to `out`: the user count, each skipped line (with its number, never a
// secret), each unknown {SCHEME} with a user who has it. Returns true when the
// file was read and every line gives a usable user. Never throws.
bool report_passwd_file(const std::filesystem::path& path, std::ostream& out);

} // namespace poplar::cli
