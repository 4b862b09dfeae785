// How an errno from opening a Maildir maps to a POP3 response code.
#include "store/open_error.hpp"

#include <cerrno>

namespace poplar::store {

OpenStatus open_status_for_errno(int error) {
    switch (error) {
    case EACCES:
    case EPERM:
    case ENOTDIR:
    case EISDIR:
    case EEXIST:  // mkdir found a file where the directory should be
    case ELOOP:
    case EROFS:
    case ENAMETOOLONG:
    case EINVAL:
        return OpenStatus::permanent;
    default:
        return OpenStatus::temporary;
    }
}

} // namespace poplar::store
