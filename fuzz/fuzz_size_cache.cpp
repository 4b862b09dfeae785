// Fuzz target: the size cache file poplar-sizes (store/size_cache.hpp): load()
// of arbitrary file contents, then add, save and load again.
//
// Invariants: load() finds exactly the entries of a model of the format
// ("name size [downgraded]\n", a cacheable name, plain decimal numbers that
// fit 64 bits; a later line wins; a last line without '\n' is ignored), and
// counts every complete line; save() after finding them all and adding new
// entries keeps every one of them, whether it appends or rewrites.
#include "fuzz_check.hpp"
#include "fuzz_temp_dir.hpp"
#include "store/size_cache.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using poplar::store::SizeCache;

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

bool cacheable(std::string_view name) {
    if (name.empty()) return false;
    for (unsigned char c : name) {
        if (c <= 0x20 || c == 0x7f) return false;
    }
    return true;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
    std::vector<std::string_view> parts;
    for (;;) {
        const auto space = line.find(' ');
        parts.push_back(line.substr(0, space));
        if (space == std::string_view::npos) return parts;
        line.remove_prefix(space + 1);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const poplar::fuzz::TempDir dir;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    dir.write("poplar-sizes", text);

    std::map<std::string, SizeCache::Sizes> model;
    std::size_t complete_lines = 0;
    for (std::string_view rest = text;;) {
        const auto lf = rest.find('\n');
        if (lf == std::string_view::npos) break;
        const auto parts = split_spaces(rest.substr(0, lf));
        rest.remove_prefix(lf + 1);
        ++complete_lines;
        if (parts.size() < 2 || parts.size() > 3 || !cacheable(parts[0])) continue;
        const auto size_field = decimal(parts[1]);
        const auto downgraded = parts.size() == 3 ? decimal(parts[2]) : std::nullopt;
        if (!size_field || (parts.size() == 3 && !downgraded)) continue;
        model[std::string(parts[0])] = SizeCache::Sizes{*size_field, downgraded};
    }

    SizeCache cache = SizeCache::load(dir.fd());
    FUZZ_CHECK(cache.entry_count() == complete_lines, "entry_count is not the number of lines");
    for (const auto& [name, sizes] : model) {
        const auto found = cache.find(name);
        FUZZ_CHECK(found && *found == sizes, "entry lost or changed: " + poplar::fuzz::escaped(name));
    }
    FUZZ_CHECK(!cache.find("poplar-fuzz-absent-name"), "found a name that is not there");

    // New entries, then the round trip through the file.
    const std::string added = "1700000000.M1P2.fuzz,S=" + std::to_string(size);
    cache.add(added, size, size + 1);
    cache.add("bad name", 1, 1);  // not cacheable: never written
    model[added] = SizeCache::Sizes{size, size + 1};
    cache.save(dir.fd(), model.size() + (text.size() & 7));

    SizeCache again = SizeCache::load(dir.fd());
    for (const auto& [name, sizes] : model) {
        const auto found = again.find(name);
        FUZZ_CHECK(found && *found == sizes, "entry lost by save(): " + poplar::fuzz::escaped(name));
    }
    FUZZ_CHECK(!again.find("bad name"), "an uncacheable name was written");
    return 0;
}
