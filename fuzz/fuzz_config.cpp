// Fuzz target: the config loader (config/config.hpp): a TOML text written to
// a temp file and loaded with config::load, plus "-o key=value" overrides
// through parse_override.
//
// Input: the TOML text, then optionally a NUL and override lines ('\n'
// separated).
//
// Invariants: load() and parse_override() fail only with ConfigError (any
// other exception escapes and libFuzzer reports it), with a message; a config
// that loads is described by describe() as TOML that loads back to the same
// description (check-config's output is itself a valid config).
#include "config/config.hpp"
#include "fuzz_check.hpp"
#include "fuzz_temp_dir.hpp"

#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace poplar::config;
    static const poplar::fuzz::TempDir dir;
    static const std::string path = [] {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "/proc/self/fd/%d/poplar.toml", dir.fd());
        return std::string(buffer);
    }();

    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = input.find('\0');
    dir.write("poplar.toml", input.substr(0, nul));
    std::vector<Override> overrides;
    if (nul != std::string_view::npos) {
        std::string_view rest = input.substr(nul + 1);
        while (!rest.empty()) {
            const std::size_t lf = rest.find('\n');
            const std::string_view line = rest.substr(0, lf);
            rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
            try {
                Override item = parse_override(line);
                FUZZ_CHECK(!item.key.empty() && std::string(line) == item.key + "=" + item.value,
                           "override does not split at its first '='");
                overrides.push_back(std::move(item));
            } catch (const ConfigError& error) {
                FUZZ_CHECK(*error.what() != '\0', "ConfigError without a message");
            }
        }
    }

    std::string described;
    try {
        described = describe(load(path, overrides));
    } catch (const ConfigError& error) {
        FUZZ_CHECK(*error.what() != '\0', "ConfigError without a message");
        return 0;
    }
    dir.write("described.toml", described);
    std::string again;
    try {
        again = describe(load(path.substr(0, path.size() - 11) + "described.toml", {}));
    } catch (const ConfigError& error) {
        FUZZ_CHECK(false, std::string("describe() output does not load: ") + error.what() + "\n" + described);
    }
    FUZZ_CHECK(again == described, "describe/load round trip changed the config:\n" + described + "\n---\n" + again);
    return 0;
}
