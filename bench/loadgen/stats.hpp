// Percentiles of latencies, CPU time of a process tree and of the load generator itself.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace loadgen {

// Nearest-rank percentile (p in 0..100) of unsorted samples; 0 when empty.
inline double percentile(std::vector<double> samples, double p) {
    if (samples.empty()) return 0;
    std::sort(samples.begin(), samples.end());
    auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(samples.size()) + 0.999999);
    rank = std::clamp<std::size_t>(rank, 1, samples.size());
    return samples[rank - 1];
}

// CPU seconds (user + system) of a process and all its descendants, with the
// children they have already reaped (cutime/cstime): sampled before and after
// a run, the difference is the CPU the server's whole process tree spent, even
// for processes that started and ended in between. Negative when pid is gone.
double process_tree_cpu_seconds(int pid);

// User + system CPU seconds of this process (all threads).
double self_cpu_seconds();

}  // namespace loadgen
