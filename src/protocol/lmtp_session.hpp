// The LMTP session (RFC 2033), sans-I/O like the POP3 Session: command lines
// and DATA bytes in, replies out, and requests for the network layer to look
// recipients up and to store the message. Used by the `lmtp_listen` sockets.
#pragma once

#include "auth/passwd_file.hpp"
#include "protocol/dot_unstuffer.hpp"
#include "store/maildir_delivery.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poplar::protocol {

struct LmtpSettings {
    // Named in the greeting and the LHLO reply.
    std::string hostname = "localhost";
    // max_message_size: the largest message in octets as received (CRLF line
    // ends, after dot-unstuffing); 0: no limit. Announced as SIZE (RFC 1870).
    std::uint64_t max_message_size = 0;
    // Dovecot's limit, as for POP3: then "421" and the connection closes.
    unsigned max_bad_commands = 20;
    // RFC 5321 section 4.5.3.1.8 asks for at least 100 per transaction; more
    // are refused with 452, which an MTA answers by sending them in the next
    // transaction. It also bounds the open files of one delivery.
    std::size_t max_recipients = 100;
};

enum class LmtpState {
    start,       // before LHLO
    ready,       // after LHLO, no transaction
    mail,        // after MAIL, no recipient accepted yet
    recipients,  // at least one RCPT accepted
    data,        // reading the message: on_data(), not on_line()
    delivering,  // the message is read: waiting for on_delivered()
    closed,
};

// An accepted recipient, in RCPT order.
struct LmtpRecipient {
    std::string address;  // as the client gave it (quotes removed), for replies and the log
    auth::UserInfo user;  // whose Maildir receives the message
};

// RCPT: find the first of `names` in the passwd-file (auth::PasswdFile::find_user),
// then call on_recipient_lookup().
struct RecipientLookup {
    std::string address;
    std::vector<std::string> names;
};

// The result of feeding the session a line or DATA bytes. The network layer
// writes `text` (replies of pipelined commands may be gathered and written
// together), then: with `lookup`, looks the names up and calls
// on_recipient_lookup(); with `start_data`, opens one store::MaildirDelivery
// per recipient, writes `text` (the 354) and feeds what the client sends to
// on_data(); with `deliver`, finishes those deliveries and calls
// on_delivered() with their results in `start_data` order; with `discard`,
// drops them; with `close`, closes the connection after the write.
struct LmtpOutput {
    std::string text;
    std::optional<RecipientLookup> lookup;
    std::optional<std::vector<LmtpRecipient>> start_data;
    bool deliver = false;
    bool discard = false;
    bool close = false;
};

// What on_data() made of some bytes.
struct LmtpDataStep {
    std::size_t consumed = 0;      // octets used; the rest (pipelined commands) go to the line framer
    std::string content;           // message octets to append to every delivery
    std::optional<LmtpOutput> end; // set at the terminating "."
};

// Counts for the log.
struct LmtpStats {
    std::uint64_t messages = 0;   // DATA sections completed
    std::uint64_t delivered = 0;  // recipients answered 250 after DATA
};

class LmtpSession {
public:
    explicit LmtpSession(LmtpSettings settings);

    // "220 <host> LMTP poplar ready".
    std::string greeting() const;

    // One command line without its CRLF. Not in the data or delivering state,
    // nor while a lookup is outstanding.
    LmtpOutput on_line(std::string_view line);

    // The line passed the length cap: "500 5.5.2", counted as a bad command.
    LmtpOutput on_line_too_long();

    // Answers a lookup request.
    LmtpOutput on_recipient_lookup(const auth::UserSearch& found);

    // DATA bytes as received; call until the step has `end`.
    LmtpDataStep on_data(std::string_view bytes);

    // The deliveries' results, one per recipient of start_data, in its order:
    // one reply per recipient (RFC 2033 section 4.2).
    LmtpOutput on_delivered(const std::vector<store::DeliveryStatus>& results);

    // The reply to send, best effort, before closing for an idle timeout or a
    // shutdown (RFC 5321 section 3.8: 421); the session is closed after it.
    std::string on_idle_timeout();
    std::string on_shutdown();

    LmtpState state() const { return state_; }
    const LmtpStats& stats() const { return stats_; }
    const std::vector<LmtpRecipient>& recipients() const { return recipients_; }

    struct Command;  // a row of the command table (lmtp_session.cpp)

private:
    LmtpOutput dispatch(std::string_view line);
    LmtpOutput bad_command(std::string text);
    void reset_transaction();

    LmtpOutput cmd_lhlo(std::string_view rest);
    LmtpOutput cmd_mail(std::string_view rest);
    LmtpOutput cmd_rcpt(std::string_view rest);
    LmtpOutput cmd_data(std::string_view rest);
    LmtpOutput cmd_rset(std::string_view rest);
    LmtpOutput cmd_noop(std::string_view rest);
    LmtpOutput cmd_vrfy(std::string_view rest);
    LmtpOutput cmd_quit(std::string_view rest);

    LmtpSettings settings_;
    LmtpState state_ = LmtpState::start;
    unsigned bad_commands_ = 0;
    std::string sender_;                      // the MAIL FROM path, for Return-Path
    std::vector<LmtpRecipient> recipients_;
    std::optional<std::string> pending_rcpt_; // the address being looked up
    DotUnstuffer unstuffer_;
    std::uint64_t data_size_ = 0;             // octets received in this DATA
    bool data_started_ = false;               // Return-Path written
    LmtpStats stats_;

    friend struct LmtpCommandTable;
};

// One reply line: "250 2.1.5 Ok\r\n" (RFC 3463 enhanced code in the middle).
std::string lmtp_reply(int code, std::string_view enhanced, std::string_view text);

} // namespace poplar::protocol
