// Reading a Maildir's directories (see maildir_scan.hpp).
#include "store/maildir_scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>

namespace poplar::store {

namespace {

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// Renames without ever replacing an existing file: losing a message to a
// name clash is the one thing a Maildir must never do.
int rename_no_replace(int from_dir, const char* from, int to_dir, const char* to) {
    if (::renameat2(from_dir, from, to_dir, to, RENAME_NOREPLACE) == 0) {
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS) {
        return errno;
    }
    // The file system lacks RENAME_NOREPLACE: link() refuses to replace too.
    if (::linkat(from_dir, from, to_dir, to, 0) != 0) {
        return errno;
    }
    ::unlinkat(from_dir, from, 0);
    return 0;
}

} // namespace

std::vector<std::string> list_message_files(int dir_fd) {
    // A fresh descriptor for fdopendir, which takes ownership of it and whose
    // position must start at the beginning for every scan.
    int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        throw_errno("open Maildir directory");
    }
    std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd));
    if (!dir) {
        int saved = errno;
        ::close(fd);
        errno = saved;
        throw_errno("read Maildir directory");
    }
    std::vector<std::string> names;
    for (;;) {
        errno = 0;
        const dirent* entry = ::readdir(dir.get());
        if (entry == nullptr) {
            if (errno != 0) {
                throw_errno("read Maildir directory");
            }
            return names;
        }
        if (entry->d_name[0] == '.') {
            continue;
        }
        bool regular = entry->d_type == DT_REG;
        if (entry->d_type == DT_UNKNOWN) {
            struct stat st {};
            regular = ::fstatat(fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
        }
        if (regular) {
            names.emplace_back(entry->d_name);
        }
    }
}

std::vector<FoundFile> move_new_and_list(int new_fd, int cur_fd) {
    std::vector<FoundFile> stuck;
    for (std::string& name : list_message_files(new_fd)) {
        std::string target = name.find(':') == std::string::npos ? name + ":2," : name;
        int error = rename_no_replace(new_fd, name.c_str(), cur_fd, target.c_str());
        if (error != 0 && error != ENOENT) {
            stuck.push_back(FoundFile{std::move(name), true});
        }
    }
    std::vector<FoundFile> found;
    std::vector<std::string> cur = list_message_files(cur_fd);
    found.reserve(cur.size() + stuck.size());
    for (std::string& name : cur) {
        found.push_back(FoundFile{std::move(name), false});
    }
    for (FoundFile& file : stuck) {
        found.push_back(std::move(file));
    }
    return found;
}

std::vector<FoundFile> list_cur_and_new(int new_fd, int cur_fd) {
    std::vector<FoundFile> found;
    for (std::string& name : list_message_files(cur_fd)) {
        found.push_back(FoundFile{std::move(name), false});
    }
    for (std::string& name : list_message_files(new_fd)) {
        found.push_back(FoundFile{std::move(name), true});
    }
    return found;
}

} // namespace poplar::store
