// A ByteSource over one open file, read with read(2) in the caller's chunks.
#pragma once

#include "store/byte_source.hpp"
#include "store/unique_fd.hpp"

namespace poplar::store {

// No mmap (a file truncated under a mapping raises SIGBUS) and no loading the
// file whole: each read() is one read(2) of at most out.size() bytes.
class FileSource final : public ByteSource {
public:
    explicit FileSource(UniqueFd fd) : fd_(std::move(fd)) {}

    // Throws std::system_error on a read error.
    std::size_t read(std::span<char> out) override;

private:
    UniqueFd fd_;
};

// Opens `name` in directory `dir_fd` read-only for a FileSource. Refuses to
// follow a symlink or to open anything but a regular file (a FIFO dropped in
// the Maildir must not block a worker). Returns an invalid fd and sets errno
// on failure: ENOENT when the file is not there, EINVAL when it is not a
// regular file.
UniqueFd open_message_file(int dir_fd, const char* name);

} // namespace poplar::store
