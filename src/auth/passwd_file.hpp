// Dovecot's passwd-file format as a PassDb:
//   user:{SCHEME}secret:uid:gid:gecos:home:shell:extra
// '#' starts a comment line; empty lines are skipped; fields after the secret
// may be missing. extra is space-separated key=value pairs.
#pragma once

#include "auth/passdb.hpp"

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace poplar::auth {

struct PasswdEntry {
    UserInfo user;
    std::string scheme;  // upper-cased, without braces; "CRYPT" when none was given
    std::string secret;  // the text after {SCHEME}
};

struct PasswdParseResult {
    std::vector<PasswdEntry> entries;
    // One message per line that was skipped, with its line number; never the secret.
    std::vector<std::string> errors;
};

// Parses the whole text of a passwd-file. Bad lines are reported and skipped.
PasswdParseResult parse_passwd_file(std::string_view text);

// The answer to "is there a user called this?" (LMTP RCPT), without a password.
struct UserSearch {
    enum class Status { found, unknown, unavailable };
    Status status = Status::unavailable;
    UserInfo user;       // when found
    std::string detail;  // why unavailable, for the log
};

class PasswdFile : public PassDb {
public:
    // Does not read the file yet; the first verify() does.
    explicit PasswdFile(std::filesystem::path path);

    // Re-reads the file if its inode, size or mtime changed since the last read
    // (and on the first call). A read error keeps the last good contents.
    VerifyResult verify(const Credentials& credentials) override;

    // {SCRAM-SHA-1}/{SCRAM-SHA-256} entries as stored; {PLAIN}/{CLEARTEXT}
    // ones derived on the fly (SASLprepped password, per-process salt, 4096
    // iterations); anything else, or an unknown user, gets a decoy. Re-reads
    // the file as verify() does.
    ScramLookup scram_secrets(std::string_view user, ScramHash hash) override;

    // The user called exactly `name` (case-sensitive, like verify()); re-reads
    // the file as verify() does. unavailable when the file was never readable.
    // Blocks on a stat (and a read when the file changed): call it on the
    // worker pool. Never throws.
    UserSearch find_user(std::string_view name);

    // Forces a re-read at the next verify() (SIGHUP).
    void invalidate();

private:
    struct Snapshot;
    std::shared_ptr<const Snapshot> current();

    std::filesystem::path path_;
    std::mutex mutex_;
    std::shared_ptr<const Snapshot> snapshot_;
};

} // namespace poplar::auth
