// Shared helpers for the auth tests: temp files, explicit mtimes, real hashes.
#pragma once

#include <crypt.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace poplar::auth::test {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
public:
    TempDir()
    {
        auto pattern = (std::filesystem::temp_directory_path() / "poplar-auth-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush())
        throw std::runtime_error("cannot write " + path.string());
}

// Sets mtime (and atime) exactly, so "the file changed" needs no sleep.
inline void set_mtime(const std::filesystem::path& path, time_t seconds, long nanoseconds)
{
    const timespec times[2] = {{seconds, nanoseconds}, {seconds, nanoseconds}};
    if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0)
        throw std::runtime_error("utimensat failed");
}

// A real crypt(3) hash made now with libxcrypt, with a fresh salt.
inline std::string make_hash(const std::string& password, const char* prefix, unsigned long count)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn(prefix, count, nullptr, 0, setting, sizeof setting) == nullptr)
        throw std::runtime_error(std::string("crypt_gensalt_rn failed for ") + prefix);
    auto data = std::make_unique<crypt_data>();
    const char* out = crypt_r(password.c_str(), setting, data.get());
    if (out == nullptr || out[0] == '*')
        throw std::runtime_error(std::string("crypt_r failed for ") + prefix);
    return out;
}

} // namespace poplar::auth::test
