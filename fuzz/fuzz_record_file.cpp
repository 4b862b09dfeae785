// Fuzz target: poplar's "key number" record files (store/record_file.hpp:
// poplar-retrieved, poplar-last-login): load() of arbitrary contents, then a
// rewrite and an append of what was read, loaded again.
//
// Invariants: load() reports exactly the lines of the model (a storable key,
// one space, a plain decimal number that fits 64 bits, then '\n'), in order;
// lines() counts every complete line and cut_line() says whether the data
// ends without '\n'; what rewrite() and append() write loads back the same.
#include "fuzz_check.hpp"
#include "fuzz_temp_dir.hpp"
#include "store/record_file.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using poplar::store::RecordFile;
using Entries = std::vector<std::pair<std::string, std::uint64_t>>;

std::optional<std::uint64_t> decimal(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

Entries load(const poplar::fuzz::TempDir& dir, RecordFile* file_out = nullptr) {
    Entries entries;
    RecordFile file = RecordFile::load(dir.fd(), "poplar-records",
                                       [&](std::string_view key, std::uint64_t n) { entries.emplace_back(key, n); });
    if (file_out) *file_out = std::move(file);
    return entries;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const poplar::fuzz::TempDir dir;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    dir.write("poplar-records", text);

    Entries model;
    std::size_t complete_lines = 0;
    std::string_view rest = text;
    for (;;) {
        const auto lf = rest.find('\n');
        if (lf == std::string_view::npos) break;
        const std::string_view line = rest.substr(0, lf);
        rest.remove_prefix(lf + 1);
        ++complete_lines;
        const auto space = line.find(' ');
        if (space == std::string_view::npos) continue;
        const std::string_view key = line.substr(0, space);
        const auto number = decimal(line.substr(space + 1));
        if (number && RecordFile::storable_key(key)) model.emplace_back(key, *number);
    }

    Entries got;
    RecordFile file = RecordFile::load(dir.fd(), "poplar-records",
                                       [&](std::string_view key, std::uint64_t n) { got.emplace_back(key, n); });
    FUZZ_CHECK(got == model, "load() does not give the model's entries");
    FUZZ_CHECK(file.lines() == complete_lines, "lines() is not the number of complete lines");
    FUZZ_CHECK(file.cut_line() == !rest.empty(), "cut_line() wrong");

    // Written back and appended to, then read again.
    std::string lines;
    for (const auto& [key, n] : model) RecordFile::format_line(lines, key, n);
    FUZZ_CHECK(!file.rewrite(dir.fd(), lines, model.size(), std::nullopt), "rewrite failed");
    std::string more;
    RecordFile::format_line(more, "fuzz-key", size);
    FUZZ_CHECK(!file.append(dir.fd(), more, 1, std::nullopt), "append failed");
    model.emplace_back("fuzz-key", size);
    RecordFile reread = RecordFile::load(dir.fd(), "poplar-records", [](std::string_view, std::uint64_t) {});
    FUZZ_CHECK(load(dir) == model, "what was written does not load back the same");
    FUZZ_CHECK(reread.lines() == model.size() && !reread.cut_line(), "written file has other lines");
    return 0;
}
