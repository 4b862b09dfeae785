// LineFramer: command lines cut out of a byte stream, bounded by the line cap.
#include "protocol/line_framer.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace poplar::protocol {

// How the cap is applied: a line's content (without its LF, and without the CR
// right before that LF) may hold max_ - 2 octets, so that content plus CRLF is
// exactly max_ (RFC 2449 section 4 counts the CRLF in its 255-octet limit).
// A partial line that reaches max_ octets without an LF can no longer fit, even
// if its last octet turns out to be the CR of a CRLF, so it is over-long then.
//
// Memory: feed() keeps at most max_ octets of any line. Octets of an over-long
// line past that are dropped as they arrive (discarding_), so a client cannot
// make us buffer more than max_ per line however long it talks without an LF.
// When the over-long line's LF arrives before next() has reported it, the kept
// max_ octets are closed with an LF so that next() sees one complete line that
// is too long and reports it exactly once.

LineFramer::LineFramer(std::size_t max_line_length) : max_(max_line_length) {
    // Content of max_ - 2 octets plus CRLF: anything smaller cannot hold a
    // command at all, which is a configuration bug, not a client error.
    if (max_line_length < 3) {
        throw std::invalid_argument("LineFramer: max_line_length must be at least 3");
    }
}

void LineFramer::feed(std::string_view bytes) {
    // Drop returned lines from the front now and then, not once per line:
    // moving at most as many octets as were consumed keeps it amortized O(n).
    if (start_ == buffer_.size()) {
        buffer_.clear();
        start_ = 0;
    } else if (start_ > 0 && start_ >= buffer_.size() / 2) {
        buffer_.erase(0, start_);
        start_ = 0;
    }

    // Octets of the last, unfinished line already buffered. While discarding_
    // is false it is below max_ (longer lines are cut below), so the last LF,
    // if any, lies within the last max_ octets: the look-back is bounded by the
    // cap. In the usual feed-then-drain loop next() has scanned everything and
    // this costs nothing.
    const auto partial_length = [this]() -> std::size_t {
        if (scanned_ == buffered()) {
            return scanned_;
        }
        const std::size_t from = start_ + scanned_;
        const std::size_t window = std::max(from, buffer_.size() - std::min(buffer_.size(), max_));
        const std::string_view tail(buffer_.data() + window, buffer_.size() - window);
        const std::size_t lf = tail.rfind('\n');
        if (lf != std::string_view::npos) {
            return tail.size() - lf - 1;
        }
        if (window == from) {
            scanned_ = buffered();  // nothing pending holds an LF
            return scanned_;
        }
        return max_;  // unreachable while the bound above holds; fail safe
    };

    while (!bytes.empty()) {
        if (discarding_) {
            const std::size_t lf = bytes.find('\n');
            if (lf == std::string_view::npos) {
                return;  // all of it belongs to the over-long line
            }
            // Not yet reported (its first max_ octets are still buffered):
            // end it so that next() reports it, once.
            if (buffered() > 0) {
                buffer_.push_back('\n');
            }
            bytes.remove_prefix(lf + 1);
            discarding_ = false;
            continue;
        }

        const std::size_t partial = partial_length();
        const std::size_t lf = bytes.find('\n');
        const std::size_t before_lf = lf == std::string_view::npos ? bytes.size() : lf;
        const bool lf_free = scanned_ == buffered();

        if (partial + before_lf >= max_) {
            // This line cannot fit: keep max_ octets of it, drop the rest.
            const std::size_t keep = max_ - partial;
            buffer_.append(bytes.data(), keep);
            if (lf_free) {
                scanned_ += keep;
            }
            bytes.remove_prefix(keep);
            discarding_ = true;
            continue;
        }

        const std::size_t take = lf == std::string_view::npos ? bytes.size() : lf + 1;
        buffer_.append(bytes.data(), take);
        // We just looked at these octets: spare next() scanning them again.
        if (lf_free) {
            scanned_ += before_lf;
        }
        bytes.remove_prefix(take);
    }
}

LineFramer::Status LineFramer::next(std::string& line) {
    const char* const base = buffer_.data() + start_;
    const std::size_t available = buffered();
    const void* found = scanned_ < available
                            ? std::memchr(base + scanned_, '\n', available - scanned_)
                            : nullptr;
    if (found == nullptr) {
        scanned_ = available;
        if (available >= max_) {
            // Only an over-long line feed() cut short gets here: report it
            // now, and let feed() drop the rest of it up to its LF.
            buffer_.clear();
            start_ = 0;
            scanned_ = 0;
            discarding_ = true;
            return Status::too_long;
        }
        return Status::need_more;
    }

    const std::size_t length = static_cast<std::size_t>(static_cast<const char*>(found) - base);
    std::size_t content = length;
    if (content > 0 && base[content - 1] == '\r') {
        --content;
    }
    start_ += length + 1;
    scanned_ = 0;
    if (content > max_ - 2) {
        return Status::too_long;
    }
    line.assign(base, content);
    return Status::line;
}

std::string LineFramer::take_buffered() {
    std::string rest = discarding_ ? std::string() : buffer_.substr(start_);
    clear();
    return rest;
}

void LineFramer::clear() {
    buffer_.clear();
    start_ = 0;
    scanned_ = 0;
    discarding_ = false;
}

} // namespace poplar::protocol
