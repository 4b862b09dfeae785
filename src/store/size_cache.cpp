// The size cache <dir>/poplar-sizes (see size_cache.hpp).
#include "store/size_cache.hpp"

#include "store/unique_fd.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace poplar::store {

namespace {

constexpr const char* cache_name = "poplar-sizes";
constexpr const char* temp_name = "poplar-sizes.tmp";

// Reads the whole file; the cache of a 100,000-message mailbox is a few MB.
std::string read_all(int fd) {
    std::string data;
    char buffer[64 * 1024];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            data.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            return data;  // a read error only means a shorter cache
        }
    }
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

void append_number(std::string& out, std::uint64_t number) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
    (void)ec;  // 24 bytes always hold a uint64
    out += ' ';
    out.append(digits, end);
}

void append_line(std::string& out, std::string_view name, const SizeCache::Sizes& sizes) {
    out.append(name);
    append_number(out, sizes.size);
    if (sizes.downgraded_size) {
        append_number(out, *sizes.downgraded_size);
    }
    out += '\n';
}

// Decimal digits only, to the end, no overflow.
std::optional<std::uint64_t> parse_number(std::string_view text) {
    std::uint64_t number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || text.front() == '-' ||
        text.front() == '+') {
        return std::nullopt;
    }
    return number;
}

} // namespace

bool SizeCache::cacheable(std::string_view base_name) {
    return !base_name.empty() && std::none_of(base_name.begin(), base_name.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte == 0x7F;
    });
}

SizeCache SizeCache::load(int dir_fd) {
    SizeCache cache;
    UniqueFd fd(::openat(dir_fd, cache_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
    if (!fd.valid()) {
        return cache;
    }
    std::string data = read_all(fd.get());
    cache.entries_.reserve(static_cast<std::size_t>(std::count(data.begin(), data.end(), '\n')));
    std::string_view rest = data;
    while (!rest.empty()) {
        std::size_t newline = rest.find('\n');
        if (newline == std::string_view::npos) {
            cache.cut_line_ = true;  // an append cut short: ignore it
            break;
        }
        std::string_view line = rest.substr(0, newline);
        rest.remove_prefix(newline + 1);
        ++cache.file_entries_;

        std::size_t space = line.find(' ');
        if (space == std::string_view::npos) {
            continue;
        }
        std::string_view name = line.substr(0, space);
        std::string_view numbers = line.substr(space + 1);
        const std::size_t second = numbers.find(' ');
        std::optional<std::uint64_t> size = parse_number(numbers.substr(0, second));
        std::optional<std::uint64_t> downgraded;
        if (second != std::string_view::npos) {
            downgraded = parse_number(numbers.substr(second + 1));
            if (!downgraded) {
                continue;
            }
        }
        if (!cacheable(name) || !size) {
            continue;
        }
        if (!downgraded) {
            ++cache.two_field_lines_;
        }
        cache.entries_.insert_or_assign(std::string(name), Entry{Sizes{*size, downgraded}, false});
    }
    return cache;
}

std::optional<SizeCache::Sizes> SizeCache::find(std::string_view base_name) {
    auto it = entries_.find(base_name);
    if (it == entries_.end()) {
        return std::nullopt;
    }
    it->second.used = true;
    return it->second.sizes;
}

void SizeCache::add(std::string_view base_name, std::uint64_t size, std::uint64_t downgraded_size) {
    if (!cacheable(base_name)) {
        return;
    }
    const Sizes sizes{size, downgraded_size};
    auto [it, inserted] = entries_.insert_or_assign(std::string(base_name), Entry{sizes, true});
    (void)it;
    (void)inserted;
    append_line(pending_, base_name, sizes);
    ++pending_count_;
}

void SizeCache::save(int dir_fd, std::size_t message_count) {
    // A line cut short by a crash must never be completed by our append (a
    // cut "name 12" of "name 123" would then read as valid): rewrite instead.
    // Old two-field lines are dropped the same way, once their messages'
    // headers were checked (the new lines would otherwise double the file).
    if (cut_line_ || two_field_lines_ > 0 || entry_count() > 2 * message_count) {
        std::string data;
        for (const auto& [name, entry] : entries_) {
            if (entry.used) {
                append_line(data, name, entry.sizes);
            }
        }
        UniqueFd fd(::openat(dir_fd, temp_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd.valid()) {
            return;
        }
        bool written = write_all(fd.get(), data) && ::fsync(fd.get()) == 0;
        fd.reset();
        if (!written || ::renameat(dir_fd, temp_name, dir_fd, cache_name) != 0) {
            ::unlinkat(dir_fd, temp_name, 0);
            return;
        }
        file_entries_ = static_cast<std::size_t>(std::count(data.begin(), data.end(), '\n'));
        cut_line_ = false;
        two_field_lines_ = 0;
    } else if (!pending_.empty()) {
        UniqueFd fd(::openat(dir_fd, cache_name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd.valid()) {
            return;
        }
        if (!write_all(fd.get(), pending_)) {
            return;
        }
        file_entries_ += pending_count_;
    }
    pending_.clear();
    pending_count_ = 0;
}

} // namespace poplar::store
