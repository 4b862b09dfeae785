// log_passwd_file(): one write(2) per line so concurrent lines stay whole.
#include "auth/auth_log.hpp"

#include <unistd.h>

#include <string>

namespace poplar::auth {

void log_passwd_file(std::string_view message) noexcept
{
    try {
        std::string line = "poplar: passwd-file: ";
        line.append(message);
        line += '\n';
        // A failed or short write to stderr has nowhere else to be reported.
        [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
    } catch (...) {
        // Out of memory while logging: drop the line rather than fail the login.
    }
}

} // namespace poplar::auth
