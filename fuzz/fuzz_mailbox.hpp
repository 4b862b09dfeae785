// An in-memory Mailbox for the session fuzzer (no gtest): messages are
// strings, faults are switched on per message, and what UPDATE was asked to
// do is recorded in a log that outlives the mailbox.
#pragma once

#include "store/header_downgrade.hpp"
#include "store/mailbox.hpp"
#include "store/wire_size.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

namespace poplar::fuzz {

// Reads a string, at most `piece` octets per call when piece > 0 (short reads
// are legal and the body code must cope with them).
class StringSource final : public store::ByteSource {
public:
    StringSource(std::string data, std::size_t piece) : data_(std::move(data)), piece_(piece) {}
    std::size_t read(std::span<char> out) override {
        std::size_t n = std::min(out.size(), data_.size() - offset_);
        if (piece_ > 0) n = std::min(n, piece_);
        std::memcpy(out.data(), data_.data() + offset_, n);
        offset_ += n;
        return n;
    }

private:
    std::string data_;
    std::size_t piece_;
    std::size_t offset_ = 0;
};

// What the session asked of the mailbox, kept after the session dropped it.
struct MailboxLog {
    std::vector<std::vector<store::StoreId>> removals;  // remove() calls
    std::vector<std::vector<store::StoreId>> noted;     // note_retrieved() calls
    bool destroyed = false;                              // the lock was released
};

class FuzzMailbox final : public store::Mailbox {
public:
    explicit FuzzMailbox(MailboxLog& log) : log_(log) {}
    ~FuzzMailbox() override { log_.destroyed = true; }

    // Adds a message with id "m<N>" and UIDL "uid-<N>", with both sizes found
    // the way the Maildir scan finds them.
    void add(std::string body) {
        const std::string n = std::to_string(infos_.size() + 1);
        store::WireSizeCounter counter;
        counter.feed(body);
        store::HeaderBlock header;
        header.feed(body);
        infos_.push_back(store::MessageInfo{store::StoreId{"m" + n}, "uid-" + n, counter.total(),
                                            store::downgraded_wire_size(counter.total(), header)});
        bodies_.push_back(std::move(body));
    }

    const std::string& body(std::size_t index) const { return bodies_[index]; }

    const std::vector<store::MessageInfo>& messages() const override { return infos_; }

    std::unique_ptr<store::ByteSource> open_message(const store::StoreId& id) override {
        const std::size_t i = index_of(id);
        if (unreadable.count(i)) throw std::system_error(EIO, std::generic_category(), "read");
        if (gone.count(i)) throw store::MessageGone{id};
        return std::make_unique<StringSource>(bodies_[i], read_piece);
    }

    std::unique_ptr<store::ByteSource> try_open_message(const store::StoreId& id) override {
        if (moved.count(index_of(id))) return nullptr;  // renamed: the session must ask for a search
        return open_message(id);
    }

    store::UpdateResult remove(std::span<const store::StoreId> ids) override {
        log_.removals.emplace_back(ids.begin(), ids.end());
        store::UpdateResult result;
        result.lease_lost = lease_lost;
        if (lease_lost) return result;
        for (const auto& id : ids) {
            if (failing.count(index_of(id))) result.failed.push_back(id);
            else ++result.removed;
        }
        return result;
    }

    std::error_code note_retrieved(std::span<const store::StoreId> ids, std::int64_t) override {
        log_.noted.emplace_back(ids.begin(), ids.end());
        return {};
    }

    std::optional<std::int64_t> previous_login() const override { return std::nullopt; }
    std::error_code record_login(std::int64_t) override { return {}; }

    // Sets a message's first retrieval, as a record from an earlier session.
    void set_first_retrieved(std::size_t index, std::int64_t when) { infos_[index].first_retrieved = when; }

    // Faults, by snapshot index.
    std::set<std::size_t> moved, unreadable, gone, failing;
    bool lease_lost = false;
    std::size_t read_piece = 0;

    // The snapshot index of an id this mailbox gave out; anything else is a
    // session bug (it made up an id).
    std::size_t index_of(const store::StoreId& id) const {
        for (std::size_t i = 0; i < infos_.size(); ++i) {
            if (infos_[i].id == id) return i;
        }
        std::abort();
    }

private:
    MailboxLog& log_;
    std::vector<store::MessageInfo> infos_;
    std::vector<std::string> bodies_;
};

} // namespace poplar::fuzz
