// An in-memory Mailbox for session tests: messages are strings.
#pragma once

#include "store/header_downgrade.hpp"
#include "store/mailbox.hpp"
#include "store/wire_size.hpp"

#include <cstring>
#include <map>
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

    // Makes a message vanish behind the session's back.
    void vanish(const std::string& id) { bodies_.erase(id); }

    std::vector<std::string> removed;
    std::set<std::string> failing;
    std::set<std::string> unreadable;
    std::set<std::string> moved;  // not where the snapshot saw them

private:
    std::vector<store::MessageInfo> infos_;
    std::map<std::string, std::string> bodies_;
};

} // namespace poplar::testing
