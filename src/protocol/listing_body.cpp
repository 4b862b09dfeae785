// Multi-line listings, produced in bounded batches (see listing_body.hpp).
#include "protocol/listing_body.hpp"

namespace poplar::protocol {
namespace {

class ListingBody final : public BodySource {
public:
    ListingBody(std::size_t count, std::function<void(std::size_t, std::string&)> line)
        : count_(count), line_(std::move(line)) {}

    bool next(std::string& out) override {
        // A listing line is at most ~90 octets (a 10-digit number and a
        // 70-character UIDL), so this keeps a chunk well under max_body_chunk.
        constexpr std::size_t batch_octets = 32 * 1024;
        const std::size_t start = out.size();
        while (next_ < count_ && out.size() - start < batch_octets) {
            line_(next_++, out);
        }
        if (next_ < count_) {
            return true;
        }
        out += ".\r\n";
        return false;
    }

private:
    std::size_t count_;
    std::function<void(std::size_t, std::string&)> line_;
    std::size_t next_ = 0;
};

} // namespace

std::unique_ptr<BodySource> make_listing_body(std::size_t count,
                                              std::function<void(std::size_t, std::string&)> line) {
    return std::make_unique<ListingBody>(count, std::move(line));
}

} // namespace poplar::protocol
