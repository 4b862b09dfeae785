// Invariant checks for the fuzz targets: a broken one prints why and aborts,
// which libFuzzer reports as a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace poplar::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* condition, std::string_view detail) {
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, condition);
    if (!detail.empty()) {
        std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
    }
    std::abort();
}

// Bytes shown with C escapes, cut to `limit`, for a failure message.
inline std::string escaped(std::string_view bytes, std::size_t limit = 200) {
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c == '\r') out += "\\r";
        else if (c == '\n') out += "\\n";
        else if (c == '\\') out += "\\\\";
        else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
        else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    if (bytes.size() > limit) out += "...";
    return out;
}

} // namespace poplar::fuzz

// FUZZ_CHECK(condition) or FUZZ_CHECK(condition, detail): aborts when false.
#define FUZZ_CHECK(condition, ...)                                                                   \
    do {                                                                                             \
        if (!(condition)) {                                                                          \
            ::poplar::fuzz::fail(__FILE__, __LINE__, #condition, std::string_view{__VA_ARGS__});     \
        }                                                                                            \
    } while (false)
