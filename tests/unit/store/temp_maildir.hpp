// Test helpers: a Maildir in a fresh temp directory, and file helpers.
#pragma once

#include "store/byte_source.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

namespace poplar::store::testing {

// A directory under /tmp, removed with everything in it at the end of a test.
class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/poplar-store-XXXXXX";
        char* made = ::mkdtemp(pattern);
        if (made == nullptr) {
            throw std::system_error(errno, std::generic_category(), "mkdtemp");
        }
        path_ = made;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    ASSERT_TRUE(out.good()) << path;
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A Maildir with cur/, new/ and tmp/ in a temp directory.
class TempMaildir {
public:
    TempMaildir() {
        for (const char* sub : {"cur", "new", "tmp"}) {
            std::filesystem::create_directory(dir() / sub);
        }
    }
    std::filesystem::path dir() const { return temp_.path() / "Maildir"; }
    std::filesystem::path cur() const { return dir() / "cur"; }
    std::filesystem::path new_dir() const { return dir() / "new"; }

    void deliver_new(const std::string& name, std::string_view content) const { write_file(new_dir() / name, content); }
    void put_cur(const std::string& name, std::string_view content) const { write_file(cur() / name, content); }

private:
    TempDir temp_;
    bool made_ = std::filesystem::create_directory(temp_.path() / "Maildir");
};

// Reads a ByteSource to its end in chunks of `chunk` bytes.
inline std::string read_all(ByteSource& source, std::size_t chunk = 7) {
    std::string out;
    std::string buffer(chunk, '\0');
    while (std::size_t n = source.read(buffer)) {
        EXPECT_LE(n, chunk);
        out.append(buffer.data(), n);
    }
    return out;
}

} // namespace poplar::store::testing
