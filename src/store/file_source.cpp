// A ByteSource over one open file (see file_source.hpp).
#include "store/file_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace poplar::store {

std::size_t FileSource::read(std::span<char> out) {
    for (;;) {
        ssize_t n = ::read(fd_.get(), out.data(), out.size());
        if (n >= 0) {
            return static_cast<std::size_t>(n);
        }
        if (errno != EINTR) {
            throw std::system_error(errno, std::generic_category(), "read message");
        }
    }
}

UniqueFd open_message_file(int dir_fd, const char* name) {
    // O_NONBLOCK only matters for a FIFO or device, which we then refuse; on a
    // regular file it has no effect.
    UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
    if (!fd.valid()) {
        if (errno == ELOOP) {
            errno = EINVAL;  // a symlink: not a message we serve
        }
        return fd;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return UniqueFd();
    }
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return UniqueFd();
    }
    return fd;
}

} // namespace poplar::store
