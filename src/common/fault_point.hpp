// Fault points: places where a test build can kill the process on purpose, so
// the crash-safety tests can stop poplar with SIGKILL inside an UPDATE, a
// delivery or a passwd-file rewrite and then check that nothing was lost.
//
// Only a build configured with -DPOPLAR_FAULT_POINTS=ON (the test build) has
// them; in every other build fault_point() is an empty inline function. The
// environment variable POPLAR_FAULT_POINT names the point to die at:
//
//   POPLAR_FAULT_POINT=maildir.update.after_unlink      the first time it is reached
//   POPLAR_FAULT_POINT=maildir.update.after_unlink@3    the third time
//
// The names in use are listed in docs/crash-safety.md; a test that names a
// point the code does not reach fails, because the process does not die.
#pragma once

#include <string_view>

#if POPLAR_FAULT_POINTS
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <string>
#endif

namespace poplar {

#if POPLAR_FAULT_POINTS

namespace fault_detail {

struct Wanted {
    std::string name;
    long hit = 1;  // die at this hit of the point (1 = the first)
};

// Read once: the variable is set by the test before the process starts.
inline const Wanted& wanted() {
    static const Wanted parsed = [] {
        Wanted result;
        const char* text = std::getenv("POPLAR_FAULT_POINT");
        if (text == nullptr) {
            return result;
        }
        std::string_view spec(text);
        auto at = spec.find('@');
        result.name = std::string(spec.substr(0, at));
        if (at != std::string_view::npos) {
            auto count = spec.substr(at + 1);
            long value = 0;
            auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), value);
            if (error != std::errc{} || end != count.data() + count.size() || value < 1) {
                std::abort();  // a mistyped test: fail loudly, never silently pass
            }
            result.hit = value;
        }
        return result;
    }();
    return parsed;
}

inline std::atomic<long> hits{0};

} // namespace fault_detail

inline void fault_point(std::string_view name) {
    const auto& wanted = fault_detail::wanted();
    if (wanted.name.empty() || name != wanted.name) {
        return;
    }
    if (fault_detail::hits.fetch_add(1) + 1 == wanted.hit) {
        std::raise(SIGKILL);
    }
}

#else

inline void fault_point(std::string_view) {}

#endif

} // namespace poplar
