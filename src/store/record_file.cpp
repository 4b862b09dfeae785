// poplar's small files in a Maildir (see record_file.hpp).
#include "common/fault_point.hpp"
#include "store/record_file.hpp"

#include "store/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace poplar::store {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

// Reads up to `limit` bytes, plus one to tell whether there was more.
// Returns false on a read error.
bool read_up_to(int fd, std::size_t limit, std::string& data) {
    char buffer[64 * 1024];
    while (data.size() <= limit) {
        const std::size_t want = std::min(sizeof buffer, limit + 1 - data.size());
        ssize_t n = ::read(fd, buffer, want);
        if (n > 0) {
            data.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0) {
            return true;
        } else if (errno != EINTR) {
            return false;
        }
    }
    return true;
}

std::error_code write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return last_error();
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

// Opens a file of ours for reading: never through a symlink, never blocking
// on a FIFO someone put in its place, and only if it is a regular file.
UniqueFd open_regular(int dir_fd, const std::string& name) {
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
    struct stat st {};
    if (fd.valid() && (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))) {
        fd.reset();
    }
    return fd;
}

// Gives a file this call created to the mail user (see maildir_owner.hpp).
std::error_code hand_over(int fd, const std::optional<MaildirOwner>& owner) {
    if (owner && ::geteuid() == 0 && ::fchown(fd, owner->uid, owner->gid) != 0) {
        return last_error();
    }
    return {};
}

} // namespace

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    std::uint64_t value = 0;
    if (text.empty() || text.front() < '0' || text.front() > '9') {
        return std::nullopt;  // from_chars would take a '-'
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

std::optional<std::string> read_small_file(int dir_fd, const std::string& name, std::size_t limit) {
    UniqueFd fd = open_regular(dir_fd, name);
    std::string data;
    if (!fd.valid() || !read_up_to(fd.get(), limit, data) || data.size() > limit) {
        return std::nullopt;
    }
    return data;
}

std::optional<std::string> read_file_head(int dir_fd, const std::string& name, std::size_t limit) {
    UniqueFd fd = open_regular(dir_fd, name);
    std::string data;
    if (!fd.valid() || !read_up_to(fd.get(), limit, data)) {
        return std::nullopt;
    }
    data.resize(std::min(data.size(), limit));
    return data;
}

std::error_code append_file(int dir_fd, const std::string& name, std::string_view data,
                            const std::optional<MaildirOwner>& owner, bool sync, bool* write_failed) {
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
    if (!fd.valid() && errno == ENOENT) {
        fd.reset(::openat(dir_fd, name.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (fd.valid()) {
            if (std::error_code error = hand_over(fd.get(), owner)) {
                return error;
            }
        }
    }
    if (!fd.valid()) {
        return last_error();
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return last_error();
    }
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
        return std::make_error_code(std::errc::operation_not_permitted);
    }
    if (std::error_code error = write_all(fd.get(), data)) {
        if (write_failed != nullptr) {
            *write_failed = true;
        }
        return error;
    }
    if (sync && ::fsync(fd.get()) != 0) {
        return last_error();
    }
    return {};
}

std::error_code replace_file(int dir_fd, const std::string& name, std::string_view content,
                             const std::optional<MaildirOwner>& owner) {
    const std::string temp = name + ".tmp";
    // A temp file left by a crash; O_EXCL below then also refuses a symlink
    // or anything else put there meanwhile.
    ::unlinkat(dir_fd, temp.c_str(), 0);
    UniqueFd fd(::openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) {
        return last_error();
    }
    std::error_code error = hand_over(fd.get(), owner);
    if (!error) {
        error = write_all(fd.get(), content);
    }
    if (!error && ::fsync(fd.get()) != 0) {
        error = last_error();
    }
    fd.reset();
    fault_point("record.replace.before_rename");
    if (!error && ::renameat(dir_fd, temp.c_str(), dir_fd, name.c_str()) != 0) {
        error = last_error();
    }
    if (error) {
        ::unlinkat(dir_fd, temp.c_str(), 0);
    }
    return error;
}

bool RecordFile::storable_key(std::string_view key) {
    return !key.empty() && std::none_of(key.begin(), key.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte == 0x7F;
    });
}

void RecordFile::format_line(std::string& out, std::string_view key, std::uint64_t number) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
    (void)ec;  // 24 bytes always hold a uint64
    out.append(key);
    out += ' ';
    out.append(digits, end);
    out += '\n';
}

RecordFile RecordFile::load(int dir_fd, std::string name, const OnEntry& on_entry) {
    RecordFile file(std::move(name));
    UniqueFd fd = open_regular(dir_fd, file.name_);
    if (!fd.valid()) {
        return file;
    }
    std::string data;
    if (!read_up_to(fd.get(), max_bytes, data) || data.size() > max_bytes) {
        file.cut_line_ = true;  // what was read is used; the file is rewritten
        data.resize(std::min(data.size(), max_bytes));
    }
    std::string_view rest = data;
    while (!rest.empty()) {
        std::size_t newline = rest.find('\n');
        if (newline == std::string_view::npos) {
            file.cut_line_ = true;  // an append cut short: ignore it
            break;
        }
        std::string_view line = rest.substr(0, newline);
        rest.remove_prefix(newline + 1);
        ++file.lines_;

        std::size_t space = line.find(' ');
        if (space == std::string_view::npos) {
            continue;
        }
        std::string_view key = line.substr(0, space);
        std::optional<std::uint64_t> number = parse_decimal(line.substr(space + 1));
        if (storable_key(key) && number) {
            on_entry(key, *number);
        }
    }
    return file;
}

std::error_code RecordFile::append(int dir_fd, std::string_view lines, std::size_t count,
                                   const std::optional<MaildirOwner>& owner) {
    bool write_failed = false;
    if (std::error_code error = append_file(dir_fd, name_, lines, owner, /*sync=*/false, &write_failed)) {
        if (write_failed) {
            cut_line_ = true;  // part of it may be there: never append after it
        }
        return error;
    }
    lines_ += count;
    return {};
}

std::error_code RecordFile::rewrite(int dir_fd, std::string_view lines, std::size_t count,
                                    const std::optional<MaildirOwner>& owner) {
    if (std::error_code error = replace_file(dir_fd, name_, lines, owner)) {
        return error;
    }
    lines_ = count;
    cut_line_ = false;
    return {};
}

} // namespace poplar::store
