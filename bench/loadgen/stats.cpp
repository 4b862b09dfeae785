// Reading CPU times from /proc and getrusage (see stats.hpp).
#include "stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace loadgen {
namespace {

struct ProcStat {
    int ppid = 0;
    std::uint64_t ticks = 0;  // utime + stime + cutime + cstime
};

// Fields of /proc/PID/stat after the command name (which may hold spaces and
// parentheses, so parsing starts after its last ')').
bool read_stat(const std::filesystem::path& file, ProcStat& out) {
    std::ifstream in(file);
    std::string text;
    if (!std::getline(in, text)) return false;
    const auto close = text.rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream fields(text.substr(close + 2));
    std::string state;
    std::uint64_t value = 0;
    fields >> state >> out.ppid;
    // Fields 5..13 (pgrp .. cmajflt), then utime, stime, cutime, cstime.
    for (int i = 0; i < 9; ++i) fields >> value;
    std::uint64_t utime = 0, stime = 0;
    std::int64_t cutime = 0, cstime = 0;
    fields >> utime >> stime >> cutime >> cstime;
    if (!fields) return false;
    out.ticks = utime + stime + static_cast<std::uint64_t>(cutime + cstime);
    return true;
}

}  // namespace

double process_tree_cpu_seconds(int pid) {
    std::map<int, ProcStat> all;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        ProcStat stat;
        if (read_stat(entry.path() / "stat", stat)) all[std::stoi(name)] = stat;
    }
    if (!all.contains(pid)) return -1;
    std::uint64_t ticks = 0;
    for (const auto& [candidate, stat] : all) {
        // An ancestor walk per process: the tree is small (a server's processes).
        for (int p = candidate; p > 1;) {
            if (p == pid) {
                ticks += stat.ticks;
                break;
            }
            const auto parent = all.find(p);
            if (parent == all.end()) break;
            p = parent->second.ppid;
        }
    }
    return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double self_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace loadgen
