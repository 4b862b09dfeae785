// A scratch directory for fuzz targets whose parsers read a file in a
// directory (by an open directory fd, as the Maildir code does). Made once per
// process under $TMPDIR, else /dev/shm (tmpfs: the fsyncs of the code under
// test cost nothing there), else /tmp, and removed at exit.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace poplar::fuzz {

class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::error_code ignored;
        const char* fallback = std::filesystem::is_directory("/dev/shm", ignored) ? "/dev/shm" : "/tmp";
        std::string pattern = std::string(base && *base ? base : fallback) + "/poplar-fuzz-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) std::abort();
        path_ = pattern;
        fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd_ < 0) std::abort();
    }
    ~TempDir() {
        ::close(fd_);
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    int fd() const { return fd_; }

    // Replaces <dir>/<name> by `content` (or removes it when content is null).
    void write(const char* name, std::string_view content) const {
        ::unlinkat(fd_, name, 0);
        const int file = ::openat(fd_, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (file < 0) std::abort();
        for (std::string_view rest = content; !rest.empty();) {
            const ssize_t n = ::write(file, rest.data(), rest.size());
            if (n <= 0) std::abort();
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
        ::close(file);
    }

private:
    std::string path_;
    int fd_ = -1;
};

} // namespace poplar::fuzz
