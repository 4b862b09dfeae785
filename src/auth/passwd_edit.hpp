// Editing a Dovecot passwd-file the way `poplar user` does: one line per user
// changed, every other line (comments, blank lines, other users, fields poplar
// does not know) kept byte for byte, and the file replaced atomically.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace poplar::auth {

// Why an edit could not be made, in words for the administrator.
class PasswdEditError : public std::runtime_error {
public:
    enum class Kind { no_such_user, user_exists, bad_input, locked, io };
    PasswdEditError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

struct NewUser {
    std::string name;
    std::string secret;  // "{SCHEME}..." as hash_password() gives it
    std::uint32_t uid = 0;  // 0: left empty, as Dovecot allows
    std::uint32_t gid = 0;
    std::string home;
    std::string extra;  // "key=value key=value", may be empty
};

// Throws PasswdEditError (bad_input) when `name` cannot be a user: it becomes
// a Maildir path, so no '/', space, '#', leading '-', ':', control
// characters, '.' or '..'.
void check_user_name(std::string_view name);

// The lines of a passwd-file, edited in memory (pure: tested with strings).
class PasswdText {
public:
    explicit PasswdText(std::string_view text);

    bool has(std::string_view user) const;
    std::vector<std::string> users() const;

    // Throws PasswdEditError (user_exists, bad_input).
    void add(const NewUser& user);
    // Replaces the secret field of the user's line. Throws (no_such_user, bad_input).
    void set_secret(std::string_view user, std::string_view secret);
    // Throws (no_such_user).
    void remove(std::string_view user);

    std::string text() const;

private:
    std::optional<std::size_t> find(std::string_view user) const;
    std::vector<std::string> lines_;
    bool final_newline_ = true;
};

// Runs `edit` on the file's text under an exclusive lock (<file>.lock, waited
// for at most a few seconds: `locked` otherwise), then writes the result to a
// temporary file in the same folder with the old file's mode and owner (0600,
// root, for a new file), fsyncs it, renames it over the file and fsyncs the
// folder: a reader sees the old file or the new one, never a mix. A missing
// file is read as empty when `create` is set. Throws PasswdEditError.
void edit_passwd_file(const std::filesystem::path& path, bool create, const std::function<void(PasswdText&)>& edit);

// The user names in the file (read without the lock). Throws PasswdEditError (io).
std::vector<std::string> passwd_file_users(const std::filesystem::path& path);

} // namespace poplar::auth
