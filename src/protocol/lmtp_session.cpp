// The LMTP session (see lmtp_session.hpp): a command table, one reply
// formatter, and the DATA section read through a DotUnstuffer.
#include "protocol/lmtp_session.hpp"

#include "protocol/command.hpp"
#include "protocol/lmtp_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace poplar::protocol {

std::string lmtp_reply(int code, std::string_view enhanced, std::string_view text) {
    return fmt::format("{} {} {}\r\n", code, enhanced, text);
}

namespace {

using Handler = LmtpOutput (LmtpSession::*)(std::string_view rest);

constexpr unsigned in(LmtpState state) { return 1u << static_cast<unsigned>(state); }
constexpr unsigned anywhere = in(LmtpState::start) | in(LmtpState::ready) | in(LmtpState::mail) |
                              in(LmtpState::recipients);

LmtpOutput reply(int code, std::string_view enhanced, std::string_view text) {
    LmtpOutput out;
    out.text = lmtp_reply(code, enhanced, text);
    return out;
}

} // namespace

// Commands as data: where each is legal is checked once, before its handler.
struct LmtpSession::Command {
    std::string_view name;
    unsigned states;  // where it is legal
    Handler handler;
};

struct LmtpCommandTable {
    static constexpr std::array<LmtpSession::Command, 8> rows{{
        {"LHLO", anywhere, &LmtpSession::cmd_lhlo},
        {"MAIL", in(LmtpState::ready), &LmtpSession::cmd_mail},
        {"RCPT", in(LmtpState::mail) | in(LmtpState::recipients), &LmtpSession::cmd_rcpt},
        {"DATA", in(LmtpState::recipients), &LmtpSession::cmd_data},
        {"RSET", anywhere, &LmtpSession::cmd_rset},
        {"NOOP", anywhere, &LmtpSession::cmd_noop},
        {"VRFY", anywhere, &LmtpSession::cmd_vrfy},
        {"QUIT", anywhere, &LmtpSession::cmd_quit},
    }};

    // The 503 text for a command given where it is not legal.
    static std::string_view out_of_sequence(std::string_view name, LmtpState state) {
        if (state == LmtpState::start) return "Send LHLO first";
        if (name == "MAIL") return "Nested MAIL command";
        if (name == "RCPT") return "Need MAIL command first";
        if (state == LmtpState::mail) return "No valid recipients";  // DATA
        return "Need MAIL and RCPT commands first";
    }
};

LmtpSession::LmtpSession(LmtpSettings settings) : settings_(std::move(settings)) {}

std::string LmtpSession::greeting() const {
    return fmt::format("220 {} LMTP poplar ready\r\n", settings_.hostname);
}

LmtpOutput LmtpSession::bad_command(std::string text) {
    // The limit counts every refused command, as Dovecot does; the last one
    // is answered with 421 instead, and the connection closes.
    if (++bad_commands_ >= settings_.max_bad_commands) {
        state_ = LmtpState::closed;
        LmtpOutput out =
            reply(421, "4.7.0", fmt::format("{} Too many bad commands, closing connection", settings_.hostname));
        out.close = true;
        return out;
    }
    LmtpOutput out;
    out.text = std::move(text);
    return out;
}

LmtpOutput LmtpSession::on_line_too_long() { return bad_command(lmtp_reply(500, "5.5.2", "Line too long")); }

LmtpOutput LmtpSession::on_line(std::string_view line) { return dispatch(line); }

LmtpOutput LmtpSession::dispatch(std::string_view line) {
    if (line.find('\0') != std::string_view::npos) {
        return bad_command(lmtp_reply(500, "5.5.2", "Line contains a NUL octet"));
    }
    const std::size_t space = line.find(' ');
    std::string name(line.substr(0, space));
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string_view rest = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);

    const auto& rows = LmtpCommandTable::rows;
    const auto row = std::find_if(rows.begin(), rows.end(), [&](const Command& c) { return c.name == name; });
    if (row == rows.end()) {
        return bad_command(lmtp_reply(500, "5.5.1", "Command unrecognized"));
    }
    if ((row->states & in(state_)) == 0) {
        return bad_command(lmtp_reply(503, "5.5.1", LmtpCommandTable::out_of_sequence(row->name, state_)));
    }
    return (this->*(row->handler))(rest);
}

void LmtpSession::reset_transaction() {
    sender_.clear();
    recipients_.clear();
    pending_rcpt_.reset();
    data_size_ = 0;
    data_started_ = false;
    unstuffer_.reset();
}

LmtpOutput LmtpSession::cmd_lhlo(std::string_view rest) {
    if (rest.empty() || rest.find(' ') != std::string_view::npos) {
        return bad_command(lmtp_reply(501, "5.5.4", "Syntax: LHLO hostname"));
    }
    reset_transaction();
    state_ = LmtpState::ready;
    // RFC 2033 section 4.1 and RFC 1869: the extensions, one per line.
    LmtpOutput out;
    out.text = fmt::format("250-{}\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE {}\r\n",
                           settings_.hostname, settings_.max_message_size);
    return out;
}

LmtpOutput LmtpSession::cmd_mail(std::string_view rest) {
    const auto from = parse_path_argument(rest, "FROM:");
    if (!from) return bad_command(lmtp_reply(501, "5.5.4", "Syntax: MAIL FROM:<address>"));
    for (const auto& [name, value] : from->params) {
        if (name == "SIZE") {
            const auto size = parse_size_parameter(value);
            if (!size) return bad_command(lmtp_reply(501, "5.5.4", "Syntax: SIZE=octets"));
            // RFC 1870 section 6.2: refuse at once what the limit would refuse.
            if (settings_.max_message_size != 0 && *size > settings_.max_message_size) {
                return reply(552, "5.3.4", fmt::format("Message too big (the limit is {} octets)",
                                                       settings_.max_message_size));
            }
        } else if (name == "BODY") {
            std::string body = value;
            for (char& c : body) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (body != "7BIT" && body != "8BITMIME") {
                return bad_command(lmtp_reply(501, "5.5.4", "Syntax: BODY=7BIT or BODY=8BITMIME"));
            }
        } else {
            return bad_command(lmtp_reply(555, "5.5.4", "Unsupported MAIL parameter"));
        }
    }
    reset_transaction();
    sender_ = from->path;
    state_ = LmtpState::mail;
    return reply(250, "2.1.0", "Ok");
}

LmtpOutput LmtpSession::cmd_rcpt(std::string_view rest) {
    const auto to = parse_path_argument(rest, "TO:");
    if (!to || to->address.empty()) return bad_command(lmtp_reply(501, "5.5.4", "Syntax: RCPT TO:<address>"));
    if (!to->params.empty()) return bad_command(lmtp_reply(555, "5.5.4", "Unsupported RCPT parameter"));
    if (recipients_.size() >= settings_.max_recipients) return reply(452, "4.5.3", "Too many recipients");
    pending_rcpt_ = to->address;
    LmtpOutput out;
    out.lookup = RecipientLookup{to->address, recipient_candidates(to->address)};
    return out;
}

LmtpOutput LmtpSession::on_recipient_lookup(const auth::UserSearch& found) {
    if (!pending_rcpt_) std::abort();  // an answer to a question never asked: a bug in the caller
    std::string address = std::move(*pending_rcpt_);
    pending_rcpt_.reset();
    switch (found.status) {
    case auth::UserSearch::Status::found:
        recipients_.push_back({address, found.user});
        state_ = LmtpState::recipients;
        return reply(250, "2.1.5", "Ok");
    case auth::UserSearch::Status::unknown:
        return reply(550, "5.1.1", fmt::format("<{}> User unknown", address));
    case auth::UserSearch::Status::unavailable:
        break;
    }
    return reply(451, "4.3.0", fmt::format("<{}> Cannot look the user up now, try again later", address));
}

LmtpOutput LmtpSession::cmd_data(std::string_view rest) {
    if (!rest.empty()) return bad_command(lmtp_reply(501, "5.5.4", "Syntax: DATA"));
    state_ = LmtpState::data;
    data_size_ = 0;
    data_started_ = false;
    unstuffer_.reset();
    LmtpOutput out;
    out.text = "354 Start mail input; end with <CRLF>.<CRLF>\r\n";
    out.start_data = recipients_;
    return out;
}

LmtpDataStep LmtpSession::on_data(std::string_view bytes) {
    if (state_ != LmtpState::data) std::abort();  // DATA bytes outside DATA: a bug in the caller
    LmtpDataStep step;
    if (!data_started_) {
        // RFC 5321 section 4.4: final delivery adds the Return-Path.
        data_started_ = true;
        step.content = fmt::format("Return-Path: <{}>\r\n", sender_);
    }
    const std::size_t before = step.content.size();
    const auto progress = unstuffer_.feed(bytes, step.content);
    step.consumed = progress.consumed;
    data_size_ += step.content.size() - before;
    const bool too_big = settings_.max_message_size != 0 && data_size_ > settings_.max_message_size;
    if (too_big) step.content.clear();  // what is over the limit is not stored anywhere
    if (!progress.done) return step;

    ++stats_.messages;
    LmtpOutput end;
    if (too_big) {
        // One reply per recipient, all the same (RFC 2033 section 4.2).
        for (const auto& recipient : recipients_) {
            end.text += lmtp_reply(552, "5.3.4", fmt::format("<{}> Message too big (the limit is {} octets)",
                                                             recipient.address, settings_.max_message_size));
        }
        end.discard = true;
        reset_transaction();
        state_ = LmtpState::ready;
    } else {
        end.deliver = true;
        state_ = LmtpState::delivering;
    }
    step.end = std::move(end);
    return step;
}

LmtpOutput LmtpSession::on_delivered(const std::vector<store::DeliveryStatus>& results) {
    if (state_ != LmtpState::delivering || results.size() != recipients_.size()) std::abort();  // caller bug
    LmtpOutput out;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const std::string& address = recipients_[i].address;
        switch (results[i]) {
        case store::DeliveryStatus::ok:
            ++stats_.delivered;
            out.text += lmtp_reply(250, "2.0.0", fmt::format("<{}> Delivered", address));
            break;
        case store::DeliveryStatus::temporary:
            out.text += lmtp_reply(451, "4.3.0", fmt::format("<{}> Cannot store the message now, try again later",
                                                             address));
            break;
        case store::DeliveryStatus::too_big:
            out.text += lmtp_reply(552, "5.3.4", fmt::format("<{}> Message too big", address));
            break;
        case store::DeliveryStatus::not_a_message:
            out.text += lmtp_reply(554, "5.6.0", fmt::format("<{}> Not a message", address));
            break;
        }
    }
    reset_transaction();
    state_ = LmtpState::ready;
    return out;
}

LmtpOutput LmtpSession::cmd_rset(std::string_view rest) {
    if (!rest.empty()) return bad_command(lmtp_reply(501, "5.5.4", "Syntax: RSET"));
    reset_transaction();
    if (state_ != LmtpState::start) state_ = LmtpState::ready;
    return reply(250, "2.0.0", "Ok");
}

LmtpOutput LmtpSession::cmd_noop(std::string_view) { return reply(250, "2.0.0", "Ok"); }

LmtpOutput LmtpSession::cmd_vrfy(std::string_view rest) {
    if (rest.empty()) return bad_command(lmtp_reply(501, "5.5.4", "Syntax: VRFY address"));
    // RFC 5321 section 3.5.3: 252 says neither yes nor no, so VRFY cannot be
    // used to list the users.
    return reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
}

LmtpOutput LmtpSession::cmd_quit(std::string_view) {
    state_ = LmtpState::closed;
    LmtpOutput out = reply(221, "2.0.0", fmt::format("{} Bye", settings_.hostname));
    out.close = true;
    return out;
}

std::string LmtpSession::on_idle_timeout() {
    state_ = LmtpState::closed;
    return lmtp_reply(421, "4.4.2", fmt::format("{} Timeout, closing connection", settings_.hostname));
}

std::string LmtpSession::on_shutdown() {
    state_ = LmtpState::closed;
    return lmtp_reply(421, "4.3.2", fmt::format("{} Shutting down, try again later", settings_.hostname));
}

} // namespace poplar::protocol
