// An in-memory Mailbox for session tests: messages are strings.
#pragma once

#include "store/header_downgrade.hpp"
#include "store/mailbox.hpp"
#include "store/wire_size.hpp"

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

namespace poplar::testing {

class StringSource final : public store::ByteSource {
public:
    explicit StringSource(std::string data) : data_(std::move(data)) {}
    std::size_t read(std::span<char> out) override {
        const std::size_t n = std::min(out.size(), data_.size() - offset_);
        std::memcpy(out.data(), data_.data() + offset_, n);
        offset_ += n;
        return n;
    }

private:
    std::string data_;
    std::size_t offset_ = 0;
};

class FakeMailbox final : public store::Mailbox {
public:
    // Adds a message with id "m<N>" and UIDL "uid-<N>", sized by the wire rule,
    // and downgraded_size as the Maildir scan finds it (equal to the size
    // unless the header has UTF-8).
    void add(std::string body) {
        const std::string n = std::to_string(infos_.size() + 1);
        store::WireSizeCounter counter;
        counter.feed(body);
        store::HeaderBlock header;
        header.feed(body);
        infos_.push_back(store::MessageInfo{store::StoreId{"m" + n}, "uid-" + n, counter.total(),
                                            store::downgraded_wire_size(counter.total(), header)});
        bodies_[infos_.back().id.value] = std::move(body);
    }

    const std::vector<store::MessageInfo>& messages() const override { return infos_; }

    std::unique_ptr<store::ByteSource> open_message(const store::StoreId& id) override {
        if (unreadable.count(id.value)) {
            throw std::system_error(EIO, std::generic_category(), "read");
        }
        auto it = bodies_.find(id.value);
        if (it == bodies_.end()) {
            throw store::MessageGone{id};
        }
        return std::make_unique<StringSource>(it->second);
    }

    std::unique_ptr<store::ByteSource> try_open_message(const store::StoreId& id) override {
        if (moved.count(id.value)) {
            return nullptr;  // "renamed": the session must ask for a search
        }
        return open_message(id);
    }

    store::UpdateResult remove(std::span<const store::StoreId> ids) override {
        store::UpdateResult result;
        for (const auto& id : ids) {
            removed.push_back(id.value);
            if (failing.count(id.value)) {
                result.failed.push_back(id);
            } else {
                bodies_.erase(id.value);
                ++result.removed;
            }
        }
        return result;
    }

    // In memory, like the Maildir's: the first time wins, ids not in the
    // snapshot or already removed are skipped.
    std::error_code note_retrieved(std::span<const store::StoreId> ids, std::int64_t now_unix) override {
        noted_retrievals.push_back({ids.begin(), ids.end()});
        if (fail_records) {
            return std::make_error_code(std::errc::io_error);
        }
        if (now_unix < 0) {
            return std::make_error_code(std::errc::invalid_argument);
        }
        for (const auto& id : ids) {
            for (auto& info : infos_) {
                if (info.id == id && !info.first_retrieved && bodies_.count(id.value)) {
                    info.first_retrieved = now_unix;
                }
            }
        }
        return {};
    }

    std::optional<std::int64_t> previous_login() const override { return last_login; }

    // Appends to recorded_logins; previous_login() stays what it was, as
    // with the Maildir, where it is read at open.
    std::error_code record_login(std::int64_t now_unix) override {
        if (fail_records) {
            return std::make_error_code(std::errc::io_error);
        }
        if (now_unix < 0) {
            return std::make_error_code(std::errc::invalid_argument);
        }
        recorded_logins.push_back(now_unix);
        return {};
    }

    // Sets a message's first retrieval, as a record from an earlier session.
    void set_first_retrieved(const std::string& id, std::optional<std::int64_t> when) {
        for (auto& info : infos_) {
            if (info.id.value == id) {
                info.first_retrieved = when;
            }
        }
    }

    // Makes a message vanish behind the session's back.
    void vanish(const std::string& id) { bodies_.erase(id); }

    std::optional<std::int64_t> last_login;              // what previous_login() returns
    std::vector<std::int64_t> recorded_logins;           // record_login calls
    std::vector<std::vector<store::StoreId>> noted_retrievals;  // note_retrieved calls
    bool fail_records = false;  // note_retrieved and record_login fail with EIO
    std::vector<std::string> removed;
    std::set<std::string> failing;
    std::set<std::string> unreadable;
    std::set<std::string> moved;  // not where the snapshot saw them

private:
    std::vector<store::MessageInfo> infos_;
    std::map<std::string, std::string> bodies_;
};

} // namespace poplar::testing
