// RETR/TOP bodies: raw message bytes turned into RFC 1939 wire form, chunk by chunk.
#include "protocol/message_body.hpp"

#include "store/header_downgrade.hpp"

#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>

namespace poplar::protocol {

namespace {

// Raw octets read per next(). Each can at most double on the wire (a bare LF
// becomes CRLF, a '.' opening a line gets a second one; never both for one
// octet), and the terminator adds at most 5: the chunk fits max_body_chunk.
constexpr std::size_t raw_chunk = body_raw_chunk;
// TOP needs the header and a few lines, and stops reading then: smaller reads,
// so that TOP 0 of a large message does not read 256 KiB of it.
constexpr std::size_t top_raw_chunk = 32 * 1024;
constexpr std::string_view terminator = ".\r\n";  // RFC 1939 section 3
static_assert(2 * raw_chunk + 2 + terminator.size() <= max_body_chunk);

class MessageBody final : public BodySource {
public:
    MessageBody(std::unique_ptr<store::ByteSource> raw, std::optional<std::uint64_t> top_lines,
                bool downgrade_headers)
        : raw_(std::move(raw)),
          chunk_size_(top_lines ? top_raw_chunk : raw_chunk),
          chunk_(std::make_unique_for_overwrite<char[]>(chunk_size_)),
          part_(top_lines ? Part::headers : Part::whole),
          top_lines_(top_lines.value_or(0)),
          header_pending_(downgrade_headers) {}

    bool next(std::string& out) override {
        if (finished_) {
            return false;
        }
        if (header_pending_) {
            read_header();
            header_pending_ = false;
        }
        std::string_view in;
        if (prefix_at_ < prefix_.size()) {
            in = std::string_view(prefix_).substr(prefix_at_, chunk_size_);
            prefix_at_ += in.size();
        } else {
            prefix_ = std::string();  // the header is out: free it
            prefix_at_ = 0;
            in = std::string_view(chunk_.get(), read_raw());
        }
        if (in.empty()) {
            finish(out);
            return false;
        }
        // Write through a pointer into room made once per chunk, rather than
        // push_back per octet: this is the RETR hot path.
        const std::size_t n = in.size();
        const std::size_t old_size = out.size();
        out.resize(old_size + 2 * n);
        char* const begin = out.data() + old_size;
        char* const end = convert(in, begin);
        out.resize(old_size + static_cast<std::size_t>(end - begin));
        if (top_done_) {
            // TOP has what it needs: stop reading, the rest is never sent.
            out.append(terminator);
            finished_ = true;
            raw_.reset();
            return false;
        }
        return true;
    }

private:
    // RETR sends the whole message; TOP the headers, then some body lines.
    enum class Part { whole, headers, body };

    // One read into chunk_; 0 at the end of the data (and ever after).
    std::size_t read_raw() {
        if (raw_done_) {
            return 0;
        }
        const std::size_t n = raw_->read(std::span<char>(chunk_.get(), chunk_size_));
        if (n > chunk_size_) {
            throw std::logic_error("ByteSource::read returned more than it was asked for");
        }
        raw_done_ = n == 0;
        return n;
    }

    // Reads the header block (at most store::max_downgrade_header and one
    // chunk) and puts it, downgraded if it has UTF-8, and the octets read
    // after it in prefix_, which next() sends before reading on.
    void read_header() {
        store::HeaderBlock header;
        std::string_view after;
        while (!header.done()) {
            const std::size_t n = read_raw();
            if (n == 0) {
                break;
            }
            const std::string_view piece(chunk_.get(), n);
            after = piece.substr(header.feed(piece));
        }
        std::optional<std::string> downgraded = header.downgraded();
        prefix_ = downgraded ? std::move(*downgraded) : std::string(header.bytes());
        prefix_.append(after);
    }

    // Writes the wire form of `in` at `out` and returns the end of what it
    // wrote. Scans line by line with memchr and copies each line at once.
    // Stops early, setting top_done_, when TOP has sent its last line.
    char* convert(std::string_view in, char* out) {
        const char* p = in.data();
        const char* const end = p + in.size();
        while (p != end) {
            if (line_length_ == 0 && *p == '.') {
                *out++ = '.';  // byte-stuffing, RFC 1939 section 3
            }
            const char* const lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            const char* const stop = lf != nullptr ? lf : end;
            const auto length = static_cast<std::size_t>(stop - p);
            std::memcpy(out, p, length);
            out += length;
            if (lf == nullptr) {
                // The line goes on in the next chunk; remember whether it
                // ended in CR, in case the next chunk opens with its LF.
                line_length_ += length;
                last_cr_ = end[-1] == '\r';
                break;
            }
            // CRLF stays CRLF, a bare LF becomes CRLF (the wire_size rule).
            const bool had_cr = length > 0 ? lf[-1] == '\r' : last_cr_;
            if (!had_cr) {
                *out++ = '\r';
            }
            *out++ = '\n';
            const std::uint64_t line_octets = line_length_ + length;  // before the LF
            line_length_ = 0;
            last_cr_ = false;
            p = lf + 1;
            if (part_ != Part::whole && end_of_line(line_octets == (had_cr ? 1U : 0U))) {
                top_done_ = true;
                break;
            }
        }
        return out;
    }

    // TOP bookkeeping for one finished line; true when TOP is complete.
    // `empty` is LF or CRLF alone: the line that ends the headers (RFC 5322).
    bool end_of_line(bool empty) {
        if (part_ == Part::headers) {
            if (!empty) {
                return false;
            }
            if (top_lines_ == 0) {
                return true;
            }
            part_ = Part::body;
            body_lines_left_ = top_lines_;
            return false;
        }
        return --body_lines_left_ == 0;
    }

    // The end of the data: close an unfinished last line, then terminate.
    void finish(std::string& out) {
        if (line_length_ > 0) {
            out.append("\r\n");
        }
        out.append(terminator);
        finished_ = true;
        raw_.reset();  // release the file now, not when the reply is dropped
    }

    std::unique_ptr<store::ByteSource> raw_;
    std::size_t chunk_size_;  // raw octets per read: at most raw_chunk
    std::unique_ptr<char[]> chunk_;
    std::string prefix_;  // the header block as it is sent, then what followed it in its read
    std::size_t prefix_at_ = 0;
    Part part_;
    std::uint64_t top_lines_;
    std::uint64_t body_lines_left_ = 0;
    std::uint64_t line_length_ = 0;  // octets of the current line so far, LF excluded
    bool last_cr_ = false;           // the last octet read was a CR
    bool header_pending_;  // the header is still to be read and downgraded
    bool raw_done_ = false;
    bool top_done_ = false;
    bool finished_ = false;
};

} // namespace

std::unique_ptr<BodySource> make_message_body(std::unique_ptr<store::ByteSource> raw,
                                              std::optional<std::uint64_t> top_lines, bool downgrade_headers) {
    return std::make_unique<MessageBody>(std::move(raw), top_lines, downgrade_headers);
}

} // namespace poplar::protocol
