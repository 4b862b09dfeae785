// Reading a passwd-file from disk into an immutable, shareable table.
#pragma once

#include "auth/passwd_file.hpp"

#include <sys/stat.h>

#include <ctime>

namespace poplar::auth {

// What identifies one version of the file: replaced (inode), rewritten (size,
// mtime to the nanosecond) or touched in a way mtime hides (ctime, which no
// one can set back).
struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    timespec mtime{};
    timespec ctime{};

    static FileIdentity of(const struct stat& st) noexcept;
    bool operator==(const FileIdentity& other) const noexcept;
};

// One parsed version of the file. Immutable once built, so threads share it
// without locking.
struct PasswdTable {
    std::unordered_map<std::string, PasswdEntry> users;
    // Checked for unknown users, as costly as the first crypt secret's hash.
    std::string dummy_hash;

    PasswdTable() = default;
    PasswdTable(const PasswdTable&) = delete;
    PasswdTable& operator=(const PasswdTable&) = delete;
    ~PasswdTable(); // wipes the secrets
};

struct PasswdLoad {
    std::shared_ptr<const PasswdTable> table; // null when the file could not be read
    FileIdentity identity;                    // of the version that was read
    std::vector<std::string> messages;        // to log once: bad lines, unknown schemes, or the read error
};

// Reads and parses the file, and makes its dummy hash (one hash's cost).
// Never throws for I/O errors: they come back as a null table and a message.
PasswdLoad load_passwd_file(const std::filesystem::path& path);

} // namespace poplar::auth
