// Keeps examples/poplar.toml in step with the key table: it must load, and show
// every key, in table order, with its doc line and its default.
#include "config/config.hpp"

#include "config/keys.hpp"
#include "config/test_support.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace poplar::config {
namespace {

// examples/poplar.toml, found by walking up from the working directory and from
// the test binary's directory (the build tree is usually inside the source tree,
// and ctest runs from the build tree); empty if neither leads to it.
std::filesystem::path find_example() {
    std::vector<std::filesystem::path> starts{std::filesystem::current_path()};
    std::error_code error;
    const auto binary = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error)
        starts.push_back(binary.parent_path());
    for (std::filesystem::path dir : starts) {
        for (;;) {
            const auto candidate = dir / "examples" / "poplar.toml";
            if (std::filesystem::is_regular_file(candidate) && std::filesystem::exists(dir / "src" / "config"))
                return candidate;
            if (dir == dir.parent_path())
                break;
            dir = dir.parent_path();
        }
    }
    return {};
}

std::string read(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

class Example : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = find_example();
        ASSERT_FALSE(path_.empty()) << "examples/poplar.toml not found above " << std::filesystem::current_path();
        text_ = read(path_);
    }
    std::filesystem::path path_;
    std::string text_;
};

TEST_F(Example, Loads) { EXPECT_NO_THROW(load(path_, {})); }

TEST_F(Example, ShowsEveryKeyInTableOrderWithItsDocLine) {
    std::size_t last = 0;
    for (const Key& key : keys()) {
        const std::string doc = "\n# " + doc_line(key) + "\n";
        const std::size_t doc_at = text_.find(doc);
        EXPECT_NE(doc_at, std::string::npos) << "doc line of " << key.name << " missing or stale:" << doc;
        const std::size_t key_at = text_.find("\n" + std::string(key.name) + " = ");
        ASSERT_NE(key_at, std::string::npos) << key.name << " is not set in " << path_;
        EXPECT_GT(key_at, last) << key.name << " is out of table order";
        EXPECT_LT(doc_at, key_at) << key.name;
        last = key_at;
    }
}

TEST_F(Example, ShowsEveryDefault) {
    // A key set to something else (a production value) must say its default in a "# Default:" line.
    const Config example = load(path_, {});
    const Config defaults;
    for (const Key& key : keys()) {
        const Value default_value = get(defaults, key);
        if (get(example, key) == default_value)
            continue;
        const std::string line = "\n# Default: " + format_value(default_value);
        EXPECT_NE(text_.find(line), std::string::npos) << key.name << " differs from its default but has no" << line;
    }
}

} // namespace
} // namespace poplar::config
