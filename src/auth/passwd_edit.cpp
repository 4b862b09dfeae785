// Editing the passwd-file (see passwd_edit.hpp).
#include "common/fault_point.hpp"
#include "auth/passwd_edit.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace poplar::auth {
namespace {

// The user field of a line; empty for comments and blank lines.
std::string_view user_of_line(std::string_view line) {
    if (line.empty() || line.front() == '#') return {};
    return line.substr(0, line.find(':'));
}

// A field's text must not break the line apart (':' separates fields, except
// in the last one, extra) nor hold control characters.
void check_field(std::string_view what, std::string_view value, bool colon_allowed) {
    for (unsigned char c : value) {
        if (c < 0x20 || c == 0x7f || (!colon_allowed && c == ':')) {
            throw PasswdEditError(PasswdEditError::Kind::bad_input,
                                  fmt::format("the {} holds a character a passwd-file line cannot: {}", what,
                                              c == ':' ? "':'" : "a control character"));
        }
    }
}

std::string id_text(std::uint32_t id) { return id == 0 ? std::string() : std::to_string(id); }

[[noreturn]] void io_error(const std::string& what, const std::filesystem::path& path) {
    throw PasswdEditError(PasswdEditError::Kind::io, fmt::format("cannot {} {}: {}", what, path.string(),
                                                                 std::strerror(errno)));
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

std::optional<std::string> read_text(const std::filesystem::path& path, struct stat& st) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::nullopt;
        io_error("open", path);
    }
    if (::fstat(fd.get(), &st) != 0) io_error("stat", path);
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        io_error("edit (not a regular file)", path);
    }
    std::string text;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            io_error("read", path);
        }
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

void write_all(int fd, std::string_view text, const std::filesystem::path& path) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            io_error("write", path);
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

// Waits for the lock a few seconds, then gives up: a command-line tool must
// not hang behind another one that was left suspended.
void lock_exclusively(int fd, const std::filesystem::path& lock_path) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) io_error("lock", lock_path);
        if (std::chrono::steady_clock::now() >= give_up) {
            throw PasswdEditError(PasswdEditError::Kind::locked,
                                  fmt::format("{} is locked by another edit; try again", lock_path.string()));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

} // namespace

void check_user_name(std::string_view name) {
    if (name.empty() || name == "." || name == ".." || name.find_first_of("/ #") != std::string_view::npos ||
        name.front() == '-') {
        throw PasswdEditError(PasswdEditError::Kind::bad_input,
                              fmt::format("'{}' cannot be a user name: it becomes a Maildir path, so no '/', "
                                          "space, '#', leading '-', '.' or '..'",
                                          name));
    }
    check_field("user name", name, false);
}

PasswdText::PasswdText(std::string_view text) {
    final_newline_ = text.empty() || text.back() == '\n';
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        if (end == std::string_view::npos) {
            lines_.emplace_back(text.substr(start));
            break;
        }
        lines_.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
}

std::optional<std::size_t> PasswdText::find(std::string_view user) const {
    for (std::size_t i = 0; i < lines_.size(); ++i) {
        if (!user.empty() && user_of_line(lines_[i]) == user) return i;
    }
    return std::nullopt;
}

bool PasswdText::has(std::string_view user) const { return find(user).has_value(); }

std::vector<std::string> PasswdText::users() const {
    std::vector<std::string> names;
    for (const auto& line : lines_) {
        const auto user = user_of_line(line);
        if (!user.empty()) names.emplace_back(user);
    }
    return names;
}

void PasswdText::add(const NewUser& user) {
    check_user_name(user.name);
    check_field("secret", user.secret, false);
    check_field("home", user.home, false);
    check_field("extra fields", user.extra, true);
    if (has(user.name)) {
        throw PasswdEditError(PasswdEditError::Kind::user_exists, fmt::format("user {} already exists", user.name));
    }
    // user:{SCHEME}secret:uid:gid:gecos:home:shell:extra
    lines_.push_back(fmt::format("{}:{}:{}:{}::{}::{}", user.name, user.secret, id_text(user.uid), id_text(user.gid),
                                 user.home, user.extra));
    final_newline_ = true;
}

void PasswdText::set_secret(std::string_view user, std::string_view secret) {
    check_field("secret", secret, false);
    const auto index = find(user);
    if (!index) {
        throw PasswdEditError(PasswdEditError::Kind::no_such_user, fmt::format("no user {}", user));
    }
    std::string& line = lines_[*index];
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? std::string::npos : line.find(':', first + 1);
    const std::string rest = second == std::string::npos ? std::string() : line.substr(second);
    line = line.substr(0, first) + ":" + std::string(secret) + rest;
}

void PasswdText::remove(std::string_view user) {
    const auto index = find(user);
    if (!index) {
        throw PasswdEditError(PasswdEditError::Kind::no_such_user, fmt::format("no user {}", user));
    }
    lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(*index));
}

std::string PasswdText::text() const {
    std::string out;
    for (std::size_t i = 0; i < lines_.size(); ++i) {
        out += lines_[i];
        if (i + 1 < lines_.size() || final_newline_) out += '\n';
    }
    return out;
}

void edit_passwd_file(const std::filesystem::path& path, bool create, const std::function<void(PasswdText&)>& edit) {
    const std::filesystem::path lock_path = path.string() + ".lock";
    Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (lock.get() < 0) io_error("open", lock_path);
    lock_exclusively(lock.get(), lock_path);

    struct stat st {};
    auto old_text = read_text(path, st);
    if (!old_text && !create) {
        errno = ENOENT;
        io_error("read", path);
    }
    const bool existed = old_text.has_value();
    PasswdText text(old_text.value_or(""));
    edit(text);

    // One fixed name, safe under the lock: a copy left by a killed edit is
    // removed by the next one instead of piling up beside the file.
    const std::filesystem::path temp = path.string() + ".tmp";
    ::unlink(temp.c_str());
    {
        Fd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (out.get() < 0) io_error("create", temp);
        try {
            // Same mode and owner as before: the file holds secrets, and the
            // server (or Dovecot) may read it as another user.
            if (existed && (::fchmod(out.get(), st.st_mode & 07777) != 0 ||
                            (::geteuid() == 0 && ::fchown(out.get(), st.st_uid, st.st_gid) != 0))) {
                io_error("set the owner and mode of", temp);
            }
            write_all(out.get(), text.text(), temp);
            if (::fsync(out.get()) != 0) io_error("fsync", temp);
            fault_point("passwd.rewrite.before_rename");
        } catch (...) {
            ::unlink(temp.c_str());
            throw;
        }
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int saved = errno;
        ::unlink(temp.c_str());
        errno = saved;
        io_error("replace", path);
    }
    fault_point("passwd.rewrite.after_rename");
    // The rename is durable only once the folder is on disk too.
    const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    Fd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0) io_error("fsync the folder of", path);
}

std::vector<std::string> passwd_file_users(const std::filesystem::path& path) {
    struct stat st {};
    const auto text = read_text(path, st);
    if (!text) {
        errno = ENOENT;
        io_error("read", path);
    }
    return PasswdText(*text).users();
}

} // namespace poplar::auth
