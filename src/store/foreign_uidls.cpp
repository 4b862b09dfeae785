// UIDLs from other servers and from migrate-uidl (see foreign_uidls.hpp).
#include "store/foreign_uidls.hpp"

#include "store/courier_sizelist.hpp"
#include "store/dovecot_uidlist.hpp"
#include "store/record_file.hpp"
#include "store/uidl.hpp"
#include "store/uidl_record.hpp"

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace poplar::store {

namespace {

// Where a message's UIDL came from, best first.
enum class Source : std::uint8_t { imported, dovecot, courier, own };

struct Offer {
    std::string uidl;
    Source source = Source::own;
};

} // namespace

UidlSources read_uidl_sources(int dir_fd) {
    UidlSources sources;
    sources.imported = read_file_head(dir_fd, uidl_record_name, RecordFile::max_bytes);
    sources.dovecot = read_file_head(dir_fd, dovecot_uidlist_name, RecordFile::max_bytes);
    sources.courier = read_file_head(dir_fd, courier_sizelist_name, RecordFile::max_bytes);
    return sources;
}

std::string apply_uidl_sources(std::span<MessageInfo> messages, const UidlSources& sources) {
    std::string record_lines;
    if (!sources.any() || messages.empty()) {
        return record_lines;
    }
    // Base name -> message. The files list messages mostly in delivery
    // order (Dovecot's uids, Courier's sort), so the message after the last
    // one found is tried first, and the map is built only on a miss.
    std::unordered_map<std::string_view, std::size_t> index;
    std::size_t next = 0;
    auto find = [&](std::string_view base) -> std::optional<std::size_t> {
        if (next < messages.size() && messages[next].id.value == base) {
            return next++;
        }
        if (index.empty()) {
            index.reserve(messages.size());
            for (std::size_t i = 0; i < messages.size(); ++i) index.emplace(messages[i].id.value, i);
        }
        auto it = index.find(base);
        if (it == index.end()) {
            return std::nullopt;
        }
        next = it->second + 1;
        return it->second;
    };
    std::vector<Offer> offers(messages.size());
    // Worst source first, so that a better one overwrites; within a file the
    // later line overwrites too.
    auto take = [&](Source source) {
        next = 0;
        return [&, source](std::string_view base, std::string_view uidl) {
            if (std::optional<std::size_t> i = find(base); i && valid_uidl(uidl)) {
                offers[*i] = Offer{std::string(uidl), source};
            }
        };
    };
    if (sources.courier) {
        parse_courier_sizelist(*sources.courier, take(Source::courier));
    }
    if (sources.dovecot) {
        parse_dovecot_uidlist(*sources.dovecot, take(Source::dovecot));
    }
    if (sources.imported) {
        parse_uidl_record(*sources.imported, take(Source::imported));
    }

    std::unordered_set<std::string_view> taken;
    taken.reserve(messages.size());
    std::vector<bool> lost(messages.size());
    for (Source source : {Source::imported, Source::dovecot, Source::courier}) {
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (offers[i].source != source) {
                continue;
            }
            if (taken.contains(offers[i].uidl)) {
                lost[i] = true;
                continue;
            }
            messages[i].uidl = std::move(offers[i].uidl);
            taken.insert(messages[i].uidl);
        }
    }
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (offers[i].source != Source::own && !lost[i]) {
            continue;
        }
        // messages[i].uidl is still poplar's own.
        while (taken.contains(messages[i].uidl)) {
            messages[i].uidl = hashed_uidl(messages[i].uidl);
            lost[i] = true;
        }
        taken.insert(messages[i].uidl);
        if (lost[i]) {
            format_uidl_line(record_lines, messages[i].id.value, messages[i].uidl);
        }
    }
    return record_lines;
}

} // namespace poplar::store
