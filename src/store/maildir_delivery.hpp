// Delivering one message into a Maildir as the Maildir convention says: write
// it to tmp/, fsync, then link it into new/ under a name carrying its sizes.
// A reader never sees a partial message, and a crash leaves at most a file in
// tmp/. Used by `poplar deliver` and the LMTP listener.
#pragma once

#include "store/maildir.hpp"
#include "store/wire_size.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace poplar::store {

enum class DeliveryStatus {
    ok,
    temporary,      // an I/O error, a full disk: the sender should retry; nothing was stored
    too_big,        // over the size limit: a permanent refusal
    not_a_message,  // empty, or not starting with a header field
};

struct DeliveryResult {
    DeliveryStatus status = DeliveryStatus::temporary;
    std::string detail;     // why, for the administrator; the file name when ok
    std::uint64_t size = 0; // octets stored
};

class MaildirDelivery {
public:
    // Opens (making if missing) the Maildir and a new file in its tmp/.
    // `max_size` 0 means no limit. Never throws: a failure shows at finish().
    MaildirDelivery(const std::filesystem::path& dir, const std::optional<MaildirOwner>& owner,
                    std::uint64_t max_size);
    ~MaildirDelivery();  // removes the tmp/ file unless finish() moved it
    MaildirDelivery(const MaildirDelivery&) = delete;
    MaildirDelivery& operator=(const MaildirDelivery&) = delete;

    // The next bytes of the message as received; CRLF line ends are stored
    // as LF, as in every Maildir.
    void append(std::string_view bytes);

    // Checks the message, fsyncs it and links it into new/.
    DeliveryResult finish();

private:
    void write_out(std::string_view bytes);
    void fail(int error, const char* what);
    void check_first_line(std::string_view bytes);

    std::optional<MaildirFolders> folders_;
    UniqueFd file_;
    std::string tmp_name_;
    std::uint64_t max_size_;
    std::uint64_t size_ = 0;
    WireSizeCounter wire_;
    std::string buffer_;           // converted bytes not yet written
    bool pending_cr_ = false;      // the last byte appended was a CR
    bool too_big_ = false;
    std::optional<bool> header_first_;  // decided at the first line's end
    std::string first_line_;
    int error_ = 0;
    std::string error_what_;
    bool moved_ = false;
};

} // namespace poplar::store
