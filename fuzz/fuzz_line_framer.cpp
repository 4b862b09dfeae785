// Fuzz target: LineFramer fed a random byte stream in random chunks, drained
// at random moments, against a model of the framing rule.
//
// Invariants: every line returned is at most cap - 2 octets and holds no LF;
// the results (lines and too_long) are exactly those of the model, whatever
// the chunking: one too_long per over-long line, never two commands out of
// one line; after a full drain less than one cap of bytes stays buffered; a
// clear() drops what was buffered and nothing of it comes out later.
#include "fuzz_check.hpp"
#include "protocol/line_framer.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace {

using poplar::protocol::LineFramer;
using Event = std::optional<std::string>;  // a line, or nullopt for too_long

// What the framer must return for `stream`, fed from a fresh state: each
// LF-terminated line without its LF and one CR before it, or too_long when
// that is over cap - 2 octets; then, for an unfinished last line of cap
// octets or more, one too_long (it can never fit).
std::vector<Event> model(std::string_view stream, std::size_t cap) {
    std::vector<Event> events;
    for (;;) {
        const std::size_t lf = stream.find('\n');
        if (lf == std::string_view::npos) break;
        std::string_view content = stream.substr(0, lf);
        if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
        if (content.size() > cap - 2) events.emplace_back(std::nullopt);
        else events.emplace_back(std::string(content));
        stream.remove_prefix(lf + 1);
    }
    if (stream.size() >= cap) events.emplace_back(std::nullopt);
    return events;
}

std::string describe(const Event& event) {
    return event ? "line \"" + poplar::fuzz::escaped(*event) + "\"" : std::string("too_long");
}

// The framer's results for one stretch between clear() calls are the model's,
// or (when cut short by a clear) a prefix of them.
void compare(const std::vector<Event>& got, std::string_view stream, std::size_t cap, bool complete) {
    const auto want = model(stream, cap);
    FUZZ_CHECK(got.size() <= want.size(), "more results than lines");
    for (std::size_t i = 0; i < got.size(); ++i) {
        FUZZ_CHECK(got[i] == want[i], "result " + std::to_string(i) + ": got " + describe(got[i]) + ", want " +
                                          describe(want[i]));
    }
    if (complete) {
        // Drained to need_more after the last byte: nothing may be missing,
        // except an over-long unfinished line that next() reports only once
        // it holds cap octets (it does: the model only adds it then).
        FUZZ_CHECK(got.size() == want.size(), "fewer results than lines: " + std::to_string(got.size()) + " of " +
                                                  std::to_string(want.size()));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    // Small caps reach the edges often; 255 is RFC 2449's, 4096 poplar's default.
    static constexpr std::size_t caps[] = {3, 4, 5, 6, 8, 13, 32, 255, 4096};
    const std::size_t cap = caps[input.ConsumeIntegralInRange<std::size_t>(0, std::size(caps) - 1)];
    std::uint32_t rng = input.ConsumeIntegral<std::uint32_t>() | 1u;
    const std::string stream = input.ConsumeRemainingBytesAsString();
    auto random = [&rng](std::uint32_t bound) {  // xorshift32, reproducible from the input
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        return bound == 0 ? 0 : rng % bound;
    };

    LineFramer framer(cap);
    std::vector<Event> got;
    std::size_t stretch_start = 0;  // first byte fed since the last clear()
    std::string line;

    auto drain = [&](bool all) {
        const std::uint32_t budget = all ? UINT32_MAX : random(4);
        for (std::uint32_t i = 0; i < budget; ++i) {
            const auto status = framer.next(line);
            if (status == LineFramer::Status::need_more) {
                FUZZ_CHECK(framer.buffered() < cap, "a drained framer holds a cap of bytes");
                return;
            }
            if (status == LineFramer::Status::line) {
                FUZZ_CHECK(line.size() <= cap - 2, "line over the cap: " + std::to_string(line.size()));
                FUZZ_CHECK(line.find('\n') == std::string::npos, "LF inside a line");
                got.emplace_back(line);
            } else {
                got.emplace_back(std::nullopt);
            }
        }
    };

    std::size_t offset = 0;
    while (offset < stream.size()) {
        // Mostly short chunks (the edges), sometimes long ones.
        const std::size_t most = random(8) == 0 ? stream.size() : 1 + random(2 * static_cast<std::uint32_t>(cap));
        const std::size_t n = std::min(stream.size() - offset, most);
        framer.feed(std::string_view(stream).substr(offset, n));
        offset += n;
        drain(random(4) == 0);
        if (random(64) == 0) {
            // STLS: what was pipelined is thrown away, never executed.
            drain(false);
            compare(got, std::string_view(stream).substr(stretch_start, offset - stretch_start), cap, false);
            framer.clear();
            FUZZ_CHECK(framer.buffered() == 0, "clear() left bytes");
            got.clear();
            stretch_start = offset;
        }
    }
    drain(true);
    compare(got, std::string_view(stream).substr(stretch_start), cap, true);
    return 0;
}
