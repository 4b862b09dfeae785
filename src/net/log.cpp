// Serialized log output (see log.hpp).
#include "net/log.hpp"

#include <cstdio>
#include <mutex>
#include <string>

namespace poplar::net {

void log_line(std::string_view line) {
    static std::mutex mutex;
    std::string text;
    text.reserve(line.size() + 9);
    text += "poplar: ";
    text += line;
    text += '\n';
    std::lock_guard lock(mutex);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

} // namespace poplar::net
