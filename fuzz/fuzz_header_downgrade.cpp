// Fuzz target: the RFC 6856/6857 header downgrade (store/header_downgrade.hpp)
// and the sizes built on it, up to the RETR body the protocol streams.
//
// Invariants: downgrade_header() gives nullopt exactly for a 7-bit block, and
// otherwise a block with no octet >= 0x80, no NUL it did not get, and (for a
// block whose line ends are all CRLF) no bare CR or LF; the downgraded block
// is 7-bit so downgrading it again changes nothing; HeaderBlock fed the
// message in random pieces takes the same block as fed whole and downgrades
// it the same way; downgraded_wire_size() is the number of octets
// make_message_body(..., downgrade_headers = true) sends before stuffing, and
// without the downgrade it sends WireSizeCounter's count.
#include "fuzz_check.hpp"
#include "protocol/message_body.hpp"
#include "store/header_downgrade.hpp"
#include "store/wire_size.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace {

using namespace poplar;
using fuzz::escaped;

class PieceSource final : public store::ByteSource {
public:
    PieceSource(std::string_view data, std::size_t piece) : data_(data), piece_(piece) {}
    std::size_t read(std::span<char> out) override {
        const std::size_t n = std::min({out.size(), data_.size(), piece_});
        std::memcpy(out.data(), data_.data(), n);
        data_.remove_prefix(n);
        return n;
    }

private:
    std::string_view data_;
    std::size_t piece_;
};

// The octets a multi-line body carries before stuffing: its lines with one
// leading '.' taken off where one was added, without the ".\r\n" terminator.
std::size_t unstuffed_size(const std::string& body) {
    FUZZ_CHECK(body.size() >= 3 && body.ends_with(".\r\n"), "body without terminator");
    std::size_t size = 0;
    bool line_start = true;
    for (std::size_t i = 0; i + 3 < body.size(); ++i) {
        if (line_start && body[i] == '.') {
            FUZZ_CHECK(i + 1 < body.size() && body[i + 1] == '.', "unstuffed '.' at a line start");
            line_start = false;
            continue;  // the stuffed dot
        }
        ++size;
        line_start = body[i] == '\n';
    }
    return size;
}

bool all_crlf(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return false;
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    const std::size_t piece = input.ConsumeIntegralInRange<std::size_t>(1, 64);
    const std::string message = input.ConsumeRemainingBytesAsString();

    // The block as the store finds it: fed whole, and fed in pieces.
    store::HeaderBlock whole;
    whole.feed(message);
    store::HeaderBlock pieces;
    std::size_t fed = 0;
    while (fed < message.size() && !pieces.done()) {
        const std::string_view part = std::string_view(message).substr(fed, piece);
        const std::size_t taken = pieces.feed(part);
        FUZZ_CHECK(taken <= part.size() && (taken == part.size() || pieces.complete()), "feed() took too little");
        fed += taken;
        if (taken < part.size()) break;
    }
    FUZZ_CHECK(whole.bytes() == pieces.bytes() && whole.complete() == pieces.complete(),
               "the header block depends on how the message was fed");

    const std::string_view header = whole.bytes();
    const auto downgraded = store::downgrade_header(header);
    FUZZ_CHECK(downgraded.has_value() == store::has_8bit(header), "downgrade for a 7-bit header, or none for 8-bit");
    if (downgraded) {
        for (unsigned char c : *downgraded) {
            FUZZ_CHECK(c < 0x80, "8-bit octet in the downgraded header: " + escaped(*downgraded));
        }
        if (header.find('\0') == std::string_view::npos) {
            FUZZ_CHECK(downgraded->find('\0') == std::string::npos, "NUL made up by the downgrade");
        }
        if (all_crlf(header)) {
            FUZZ_CHECK(all_crlf(*downgraded), "bare CR or LF in the downgrade of a CRLF header: " + escaped(*downgraded));
        }
        FUZZ_CHECK(!store::downgrade_header(*downgraded), "the downgrade is not 7-bit");
        if (!whole.too_large()) {
            FUZZ_CHECK(whole.downgraded() == downgraded, "HeaderBlock::downgraded() differs");
        }
    }

    // The sizes LIST reports against the octets RETR sends.
    store::WireSizeCounter counter;
    counter.feed(message);
    const std::uint64_t downgraded_size = store::downgraded_wire_size(counter.total(), whole);
    for (const bool downgrade : {false, true}) {
        auto body = protocol::make_message_body(std::make_unique<PieceSource>(message, piece * 97), std::nullopt, downgrade);
        std::string wire;
        while (body->next(wire)) {
        }
        const std::size_t sent = unstuffed_size(wire);
        const std::uint64_t listed = downgrade ? downgraded_size : counter.total();
        FUZZ_CHECK(sent == listed, "RETR sends " + std::to_string(sent) + " octets, LIST says " +
                                       std::to_string(listed) + (downgrade ? " (downgraded)" : " (UTF8)"));
    }
    return 0;
}
