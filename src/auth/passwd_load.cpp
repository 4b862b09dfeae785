// load_passwd_file(): open, read, parse, index and make the dummy hash.
#include "auth/passwd_load.hpp"

#include "auth/password_scheme.hpp"
#include "auth/scheme_kind.hpp"
#include "auth/scram.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace poplar::auth {

namespace {

// A passwd-file of a million users is ~100 MiB; refuse more rather than let a
// wrong path (a log file, a device) eat the server's memory.
constexpr off_t max_file_size = off_t{256} << 20;

bool same_time(const timespec& a, const timespec& b) noexcept
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
};

// The whole file and the identity of what was read; the error text on failure.
bool read_file(const std::filesystem::path& path, std::string& text, FileIdentity& identity, std::string& error)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        error = fmt::format("cannot open {}: {}", path.string(), std::strerror(errno));
        return false;
    }
    FdCloser closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        error = fmt::format("cannot stat {}: {}", path.string(), std::strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        error = fmt::format("{} is not a regular file", path.string());
        return false;
    }
    if (st.st_size > max_file_size) {
        error = fmt::format("{} is larger than {} bytes", path.string(), max_file_size);
        return false;
    }
    // Identity taken before reading: a write during the read changes mtime,
    // so the next verify() reads again rather than trusting a torn copy.
    identity = FileIdentity::of(st);
    text.resize(static_cast<std::size_t>(st.st_size));
    std::size_t used = 0;
    for (;;) {
        if (used == text.size()) {
            if (text.size() >= static_cast<std::size_t>(max_file_size)) {
                error = fmt::format("{} is larger than {} bytes", path.string(), max_file_size);
                return false;
            }
            text.resize(text.size() + 4096); // the file grew since fstat
        }
        const ssize_t got = ::read(fd, text.data() + used, text.size() - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            error = fmt::format("cannot read {}: {}", path.string(), std::strerror(errno));
            return false;
        }
        if (got == 0)
            break;
        used += static_cast<std::size_t>(got);
    }
    text.resize(used);
    return true;
}

} // namespace

FileIdentity FileIdentity::of(const struct stat& st) noexcept
{
    return FileIdentity{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
}

bool FileIdentity::operator==(const FileIdentity& other) const noexcept
{
    return device == other.device && inode == other.inode && size == other.size && same_time(mtime, other.mtime)
        && same_time(ctime, other.ctime);
}

PasswdTable::~PasswdTable()
{
    for (auto& [name, entry] : users)
        wipe(entry.secret);
}

PasswdLoad load_passwd_file(const std::filesystem::path& path)
{
    PasswdLoad load;
    std::string text;
    std::string error;
    if (!read_file(path, text, load.identity, error)) {
        wipe(text);
        load.messages.push_back(std::move(error));
        return load;
    }
    auto parsed = parse_passwd_file(text);
    wipe(text);

    auto table = std::make_shared<PasswdTable>();
    for (auto& message : parsed.errors)
        load.messages.push_back(fmt::format("{}: {}", path.string(), message));

    // Unknown schemes: one line per scheme name, not one per login.
    std::map<std::string, std::pair<std::string, std::size_t>> unknown; // scheme -> first user, count
    std::map<std::string, std::pair<std::string, std::size_t>> bad_scram; // same, for unparsable SCRAM secrets
    std::string first_crypt;
    for (auto& entry : parsed.entries) {
        const auto kind = scheme_kind(entry.scheme);
        if (kind == SchemeKind::unknown) {
            auto [it, inserted] = unknown.try_emplace(entry.scheme, entry.user.name, 0);
            ++it->second.second;
        }
        if (kind == SchemeKind::scram_sha1 || kind == SchemeKind::scram_sha256) {
            const auto hash = kind == SchemeKind::scram_sha1 ? ScramHash::sha1 : ScramHash::sha256;
            if (auto secrets = parse_scram_secret(hash, entry.secret))
                wipe(*secrets);
            else
                ++bad_scram.try_emplace(entry.scheme, entry.user.name, 0).first->second.second;
        }
        // Locked entries ("!...", "*", empty) say nothing about the cost of a real login.
        const bool usable = !entry.secret.empty() && entry.secret[0] != '!' && entry.secret[0] != '*';
        if (kind == SchemeKind::crypt && usable && first_crypt.empty())
            first_crypt = entry.secret;
        std::string name = entry.user.name;
        table->users.emplace(std::move(name), std::move(entry));
    }
    // A moved-from short string keeps its bytes in its own buffer.
    for (auto& entry : parsed.entries)
        wipe(entry.secret);
    for (const auto& [scheme, seen] : unknown)
        load.messages.push_back(fmt::format("{}: unknown password scheme {{{}}} for {} user(s), first '{}': they cannot log in",
                                            path.string(), scheme, seen.second, seen.first));
    for (const auto& [scheme, seen] : bad_scram)
        load.messages.push_back(fmt::format("{}: malformed {{{}}} secret (want iter,salt,StoredKey,ServerKey in base64, "
                                            "iter {}..{}) for {} user(s), first '{}': they cannot log in",
                                            path.string(), scheme, min_scram_iterations, max_scram_iterations,
                                            seen.second, seen.first));

    // Made now, by the thread that read the file, so that the first unknown
    // user does not pay two hashes where a known one pays one.
    table->dummy_hash = make_dummy_hash(first_crypt);
    wipe(first_crypt);

    load.table = std::move(table);
    return load;
}

} // namespace poplar::auth
