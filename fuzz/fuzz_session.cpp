// Fuzz target: the whole POP3 Session (RFC 1939, 2449, 2595, 5034, 6856)
// driven by a random client byte stream through the LineFramer, the way the
// network layer drives it, with an in-memory mailbox and a scripted passdb.
//
// Input: 4 setting bytes (TLS, STLS, plaintext policy, APOP, LAST, EXPIRE,
// LOGIN-DELAY, SASL mechanisms, line cap, short reads, store faults), a length
// byte L and L octets of one more message for the mailbox, then the client's
// bytes. The scripted passdb: alice/secret logs in (APOP and CRAM-MD5: a digest
// of 32 'a'); busy, tempfail, permfail, delayed get those login results;
// anyone else a wrong password. SCRAM lookups get secrets derived from
// "secret" for alice, "tempfail" a passdb failure, others a decoy.
//
// Invariants, checked after every command line (abort on violation):
// - one line, one reply: a status line "+OK", "-ERR" or (inside AUTH) "+ "
//   and base64, printable ASCII, ending in CRLF, at most 512 octets (+OK/-ERR,
//   RFC 2449 section 4); a multi-line reply (CAPA, LIST, UIDL, RETR, TOP,
//   bare AUTH and LANG) is CRLF lines, dot-stuffed, ended by ".\r\n"; the
//   others are one line; body chunks within max_body_chunk;
// - +OK only for a command legal in the state it was sent in, and the state
//   moves only as RFC 1939 allows (AUTHORIZATION -> TRANSACTION on a +OK
//   login, closed only with Output::close, never back), with a mailbox held
//   exactly in TRANSACTION;
// - a message marked deleted (DELE, undone by RSET) is never returned by
//   RETR, TOP, LIST n, UIDL n, nor listed by LIST or UIDL, nor counted by STAT;
// - sizes are exact: STAT, LIST and "+OK n octets" give the octets RETR then
//   sends before stuffing, as stored after UTF8 and downgraded (RFC 6856)
//   before; RETR sends exactly the stored message in wire form (downgraded
//   header before UTF8), TOP a line-aligned prefix of it;
// - UPDATE (QUIT) removes every deleted message and only deleted or
//   retrieved ones; a dropped connection removes nothing and releases the lock;
// - after close no more input is fed (the session aborts if it were).
#include "fuzz_check.hpp"
#include "fuzz_mailbox.hpp"

#include "auth/credentials.hpp"
#include "auth/scram.hpp"
#include "protocol/line_framer.hpp"
#include "protocol/session.hpp"
#include "store/header_downgrade.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace poplar;
using protocol::Output;
using protocol::SessionState;
using fuzz::escaped;

constexpr std::int64_t now_unix = 1'700'000'000;

// Messages every mailbox holds: dot-stuffing, LF and CRLF ends, a bare CR, no
// last line end, an empty message, UTF-8 headers (address, unstructured,
// folded, parameters, no header end, invalid UTF-8).
const char* const stock_messages[] = {
    "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n.line\r\n..two\r\n.\r\n",
    "Subject: lf\n\nline1\n.\n..two\nend\n",
    "From: J\xc3\xb6rg <j@example.org>\r\nTo: \xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad\xe5\x9b\xbd\r\n"
    "Subject: Gr\xc3\xbc\xc3\x9f" "e\r\n\r\nHallo\r\n.dot\r\n",
    "Subject: cr\r\n\r\nA\rB\r\nlast line",
    "",
    "Subject: caf\xc3\xa9\n more \xc3\xa9\nContent-Type: text/plain; name=\"\xc3\xa9.txt\"\n\nbody \xc3\xa9\n",
    "X-Note: \xe2\x82\xac and no end of header",
    "Subject: \xff\xfe\r\nMessage-ID: <\xc3\xa9@x>\r\n\r\n.\r\n",
};

struct Settings {
    protocol::SessionSettings session;
    std::size_t line_cap = 4096;
    std::size_t read_piece = 0;
    unsigned fault = 0;
    bool remove_fails = false;
    bool lease_lost = false;
    std::optional<unsigned> user_expire;
    bool old_retrieval = false;
};

Settings settings_from(const std::uint8_t* b) {
    Settings s;
    auto& ss = s.session;
    ss.hostname = "fuzz.example";
    ss.tls_active = b[0] & 1;
    ss.stls_offered = !ss.tls_active && (b[0] & 2);
    ss.plaintext_auth_allowed = ss.tls_active || (b[0] & 4);
    if (b[0] & 8) ss.apop_timestamp = "<1234.5678@fuzz.example>";
    ss.last_command = b[0] & 16;
    if (b[0] & 32) ss.expire_days = (b[0] & 128) ? 0u : 7u;
    if (b[0] & 64) ss.login_delay_seconds = 30;
    if (b[0] & 128) {
        // Room to explore: the defaults end a session after 3 bad commands.
        ss.max_bad_commands_before_login = 50;
        ss.max_bad_commands = 100;
    }
    using M = auth::sasl::Mechanism;
    const M all[] = {M::plain, M::login, M::cram_md5, M::scram_sha_1, M::scram_sha_256, M::scram_sha_256_plus};
    for (unsigned i = 0; i < 6; ++i) {
        if (b[1] & (1u << i)) ss.sasl_mechanisms.push_back(all[i]);
    }
    if (b[1] & 64) s.line_cap = 64;
    if (b[1] & 128) s.read_piece = 1 + b[3] % 7;
    s.fault = b[2] & 3;
    s.remove_fails = b[2] & 4;
    s.lease_lost = b[2] & 8;
    static const std::optional<unsigned> expires[] = {std::nullopt, 0u, 1u, 30u};
    s.user_expire = expires[(b[2] >> 4) & 3];
    s.old_retrieval = b[2] & 64;
    ss.clock = [] { return now_unix; };
    return s;
}

// SCRAM secrets are PBKDF2 with 4096 rounds: made once, not per input.
const auth::ScramSecrets& secrets(auth::ScramHash hash, bool real) {
    static const auto make = [](auth::ScramHash h, const char* password) {
        return *auth::derive_scram_secrets(h, password, "saltsaltsaltsalt", 4096);
    };
    static const auth::ScramSecrets s1 = make(auth::ScramHash::sha1, "secret");
    static const auth::ScramSecrets s256 = make(auth::ScramHash::sha256, "secret");
    static const auth::ScramSecrets d1 = make(auth::ScramHash::sha1, "decoy");
    static const auth::ScramSecrets d256 = make(auth::ScramHash::sha256, "decoy");
    if (hash == auth::ScramHash::sha1) return real ? s1 : d1;
    return real ? s256 : d256;
}

// The wire form of stored octets (store/wire_size.hpp's rule, written again
// here so the check does not lean on the code it checks): a bare LF becomes
// CRLF, and CRLF ends a last line that has no line end.
std::string wire_form(std::string_view raw) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
        out += raw[i];
    }
    if (!raw.empty() && raw.back() != '\n') out += "\r\n";
    return out;
}

// What RETR must send, before stuffing: the stored message, or (before UTF8)
// the message with its header block downgraded.
std::string expected_content(const std::string& raw, bool utf8) {
    if (utf8) return wire_form(raw);
    store::HeaderBlock header;
    header.feed(raw);
    const auto downgraded = header.downgraded();
    if (!downgraded) return wire_form(raw);
    return wire_form(*downgraded + raw.substr(header.bytes().size()));
}

bool is_base64_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
}

// A message number as RFC 1939 has it: decimal digits only (leading zeros
// are a leniency of the session: "RETR 007" is message 7); nullopt past 2^32.
std::optional<std::uint64_t> number_of(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
        if (n > UINT32_MAX) return std::nullopt;
    }
    return n;
}

// A reply parsed from the wire: its status line and, for a multi-line reply,
// the lines of its body with the stuffing taken off, joined with CRLF.
struct Reply {
    std::string status;
    std::optional<std::string> body;
};

// Checks a multi-line body "line\r\n ... .\r\n" and returns it unstuffed.
std::string unstuff_block(std::string_view block) {
    FUZZ_CHECK(block.size() >= 3 && block.substr(block.size() - 3) == ".\r\n", "multi-line reply without \".\\r\\n\": " + escaped(block));
    FUZZ_CHECK(block.size() == 3 || block.substr(block.size() - 5, 2) == "\r\n", "terminator not on its own line");
    for (std::size_t i = 0; i < block.size(); ++i) {
        if (block[i] == '\n') FUZZ_CHECK(i > 0 && block[i - 1] == '\r', "bare LF in a multi-line reply");
    }
    std::string content;
    std::string_view rest = block.substr(0, block.size() - 3);
    while (!rest.empty()) {
        const std::size_t end = rest.find("\r\n");
        FUZZ_CHECK(end != std::string_view::npos, "line without CRLF");
        std::string_view line = rest.substr(0, end);
        FUZZ_CHECK(line != ".", "a lone '.' before the end of a multi-line reply");
        if (!line.empty() && line[0] == '.') {
            FUZZ_CHECK(line.size() >= 2 && line[1] == '.', "line starting with '.' not stuffed: " + escaped(line));
            line.remove_prefix(1);
        }
        content.append(line);
        content += "\r\n";
        rest.remove_prefix(end + 2);
    }
    return content;
}

Reply parse_reply(std::string_view wire, bool multi_line) {
    const std::size_t end = wire.find("\r\n");
    FUZZ_CHECK(end != std::string_view::npos, "reply without CRLF: " + escaped(wire));
    Reply reply{std::string(wire.substr(0, end)), std::nullopt};
    const std::string& s = reply.status;
    for (char c : s) {
        FUZZ_CHECK(c >= 0x20 && c < 0x7f, "status line byte outside printable ASCII: " + escaped(s));
    }
    const bool ok = s == "+OK" || s.starts_with("+OK ");
    const bool err = s == "-ERR" || s.starts_with("-ERR ");
    const bool challenge = s.starts_with("+ ");
    FUZZ_CHECK(ok || err || challenge, "status line is not +OK, -ERR or \"+ \": " + escaped(s));
    if (challenge) {
        FUZZ_CHECK(std::all_of(s.begin() + 2, s.end(), is_base64_char), "challenge not base64: " + escaped(s));
    } else {
        FUZZ_CHECK(s.size() + 2 <= 512, "status line over 512 octets (RFC 2449 section 4)");
    }
    std::string_view rest = wire.substr(end + 2);
    if (ok && multi_line) {
        reply.body = unstuff_block(rest);
    } else {
        FUZZ_CHECK(rest.empty(), "more than one line in a single-line reply: " + escaped(wire));
    }
    return reply;
}

// A command line as the client meant it (RFC 1939: keyword, single spaces).
struct Command {
    std::string keyword;
    std::vector<std::string_view> args;
};

Command parse_command(std::string_view line) {
    Command c;
    const std::size_t space = line.find(' ');
    for (char ch : line.substr(0, space)) c.keyword += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (space != std::string_view::npos) {
        std::string_view rest = line.substr(space + 1);
        for (;;) {
            const std::size_t next = rest.find(' ');
            c.args.push_back(rest.substr(0, next));
            if (next == std::string_view::npos) break;
            rest.remove_prefix(next + 1);
        }
    }
    return c;
}

bool legal_in(const std::string& keyword, SessionState state, bool last_enabled) {
    static const std::set<std::string> authorization{"USER", "PASS", "APOP", "STLS", "AUTH", "UTF8", "QUIT", "CAPA", "LANG"};
    static const std::set<std::string> transaction{"STAT", "LIST", "UIDL", "RETR", "TOP",  "DELE",
                                                   "NOOP", "RSET", "LAST", "QUIT", "CAPA", "LANG"};
    if (keyword == "LAST" && !last_enabled) return false;
    return state == SessionState::authorization ? authorization.count(keyword) > 0 : transaction.count(keyword) > 0;
}

class Driver {
public:
    explicit Driver(Settings settings, std::string extra)
        : settings_(std::move(settings)), session_(settings_.session), framer_(settings_.line_cap),
          extra_(std::move(extra)) {}

    void run(std::string_view stream) {
        if (settings_.session.tls_active) {
            session_.on_tls_started(bindings());  // listen_tls: TLS before the greeting
        }
        parse_reply(session_.greeting(), false);
        std::string line;
        while (!stream.empty() && !closed_) {
            // One read per client line, as a client that waits for replies
            // sends them; STLS then throws away nothing that came after.
            const std::size_t lf = stream.find('\n');
            const std::size_t n = lf == std::string_view::npos ? stream.size() : lf + 1;
            framer_.feed(stream.substr(0, n));
            stream.remove_prefix(n);
            while (!closed_) {
                const auto status = framer_.next(line);
                if (status == protocol::LineFramer::Status::need_more) break;
                if (status == protocol::LineFramer::Status::too_long) {
                    const std::string wire = drain(session_.on_line_too_long());
                    const Reply r = parse_reply(wire, false);
                    FUZZ_CHECK(r.status.starts_with("-ERR") && closed_, "an over-long line must end the session");
                    break;
                }
                on_line(line);
            }
        }
        if (!closed_) {
            // The client went away: nothing is removed, the lock is released.
            session_.release(protocol::EndReason::dropped);
            FUZZ_CHECK(session_.state() == SessionState::closed, "release() did not close");
            FUZZ_CHECK(session_.mailbox() == nullptr, "release() kept the mailbox");
            FUZZ_CHECK(!updated_, "a dropped session ran UPDATE");
        }
        FUZZ_CHECK(!logged_in_ || log_.destroyed, "the mailbox (and its lock) outlived the session");
        FUZZ_CHECK(updated_ || log_.removals.empty(), "messages removed without UPDATE");
    }

private:
    std::vector<auth::sasl::ChannelBinding> bindings() const {
        return {{"tls-exporter", std::string(32, '\x42')}, {"tls-server-end-point", std::string(32, '\x17')}};
    }

    std::size_t count() const { return mailbox_ ? mailbox_->messages().size() : 0; }

    std::uint64_t listed_size(std::size_t i) const {
        const auto& info = mailbox_->messages()[i];
        return utf8_ ? info.size : info.downgraded_size;
    }

    // The whole reply to one event: its text, its body, and the replies to
    // whatever it asked the network layer to do.
    std::string drain(Output out) {
        const int requests = out.login.has_value() + out.sasl_lookup.has_value() + out.update.has_value() +
                             out.open_message.has_value() + out.start_tls;
        FUZZ_CHECK(requests <= 1, "more than one request in one output");
        FUZZ_CHECK(requests == 0 || !out.close, "a request and a close in one output");
        FUZZ_CHECK(!out.close || session_.state() == SessionState::closed, "close without the closed state");
        std::string wire = out.text;
        if (out.body) {
            FUZZ_CHECK(out.text.starts_with("+OK") && out.text.find("\r\n") == out.text.size() - 2,
                       "a body after something else than one +OK line: " + escaped(out.text));
            for (int chunks = 0;; ++chunks) {
                FUZZ_CHECK(chunks < 100000, "a body that never ends");
                std::string chunk;
                const bool more = out.body->next(chunk);
                FUZZ_CHECK(chunk.size() <= protocol::max_body_chunk, "chunk over max_body_chunk");
                wire += chunk;
                if (!more) break;
            }
        }
        if (out.close) closed_ = true;
        if (out.start_tls) {
            FUZZ_CHECK(settings_.session.stls_offered && !tls_, "STLS accepted where it was not offered");
            framer_.clear();
            tls_ = true;
            session_.on_tls_started(bindings());
        }
        if (out.login) {
            wire += drain(session_.on_login_result(answer_login(*out.login)));
        }
        if (out.sasl_lookup) {
            FUZZ_CHECK(session_.state() == SessionState::authorization, "a SCRAM lookup after login");
            wire += drain(session_.on_sasl_lookup(answer_lookup(*out.sasl_lookup)));
        }
        if (out.open_message) {
            FUZZ_CHECK(session_.mailbox() != nullptr, "open_message without a mailbox");
            const std::size_t i = mailbox_->index_of(*out.open_message);
            FUZZ_CHECK(mailbox_->moved.count(i), "open_message for a message where the snapshot saw it");
            wire += drain(session_.on_message_opened(protocol::open_message_blocking(*session_.mailbox(), *out.open_message)));
        }
        if (out.update) {
            check_update(*out.update);
            updated_ = true;
            const auto result = session_.mailbox()->remove(out.update->remove);
            if (!out.update->retrieved.empty()) {
                (void)session_.mailbox()->note_retrieved(out.update->retrieved, out.update->now);
            }
            wire += drain(session_.on_update_result(result));
        }
        return wire;
    }

    protocol::LoginResult answer_login(const auth::Credentials& credentials) {
        protocol::LoginResult result;
        const std::string& user = auth::user_of(credentials);
        result.status = protocol::LoginStatus::bad_credentials;
        if (user == "busy") result.status = protocol::LoginStatus::in_use;
        if (user == "tempfail") result.status = protocol::LoginStatus::temporary_failure;
        if (user == "permfail") result.status = protocol::LoginStatus::permanent_failure;
        if (user == "delayed") result.status = protocol::LoginStatus::login_delay;
        const auto* password = std::get_if<auth::PasswordCredentials>(&credentials);
        const auto* apop = std::get_if<auth::ApopCredentials>(&credentials);
        const auto* cram = std::get_if<auth::CramMd5Credentials>(&credentials);
        const auto* proven = std::get_if<auth::ProvenUser>(&credentials);
        if (apop) FUZZ_CHECK(!settings_.session.apop_timestamp.empty(), "APOP login while APOP is off");
        if (password) FUZZ_CHECK(settings_.session.plaintext_auth_allowed || tls_, "plaintext login refused by policy went through");
        const bool good = user == "alice" && ((password && password->password == "secret") ||
                                              (apop && apop->digest_hex == std::string(32, 'a')) ||
                                              (cram && cram->digest_hex == std::string(32, 'a')) || proven);
        if (!good) return result;
        result.status = protocol::LoginStatus::ok;
        result.user = "alice";
        result.expire_days = settings_.user_expire;
        auto mailbox = std::make_unique<fuzz::FuzzMailbox>(log_);
        for (const char* body : stock_messages) mailbox->add(body);
        if (!extra_.empty()) mailbox->add(extra_);
        if (settings_.fault == 1) mailbox->moved.insert(1);
        if (settings_.fault == 2) mailbox->unreadable.insert(2);
        if (settings_.fault == 3) {
            mailbox->gone.insert(3);
            mailbox->moved.insert(3);
        }
        if (settings_.remove_fails) mailbox->failing.insert(0);
        mailbox->lease_lost = settings_.lease_lost;
        mailbox->read_piece = settings_.read_piece;
        if (settings_.old_retrieval) mailbox->set_first_retrieved(4, now_unix - 90 * 86400);
        mailbox_ = mailbox.get();
        result.mailbox = std::move(mailbox);
        logged_in_ = true;
        return result;
    }

    auth::ScramLookup answer_lookup(const protocol::SaslLookupRequest& request) {
        auth::ScramLookup lookup;
        lookup.user.name = request.user;
        if (request.user == "tempfail") {
            lookup.status = auth::VerifyStatus::temporary_failure;
            return lookup;
        }
        const bool real = request.user == "alice";
        lookup.status = real ? auth::VerifyStatus::ok : auth::VerifyStatus::bad_credentials;
        lookup.secrets = secrets(request.hash, real);
        return lookup;
    }

    // UPDATE removes every message marked deleted, and otherwise only ones
    // that EXPIRE allows: retrieved in this session or an earlier one.
    void check_update(const protocol::UpdateRequest& update) {
        FUZZ_CHECK(session_.state() == SessionState::transaction && quitting_, "UPDATE without QUIT in TRANSACTION");
        std::set<std::size_t> removed;
        for (const auto& id : update.remove) {
            const std::size_t i = mailbox_->index_of(id);
            FUZZ_CHECK(removed.insert(i).second, "a message removed twice");
            FUZZ_CHECK(deleted_.count(i) || retrieved_.count(i) || mailbox_->messages()[i].first_retrieved,
                       "UPDATE removes message " + std::to_string(i + 1) + ", neither deleted nor retrieved");
        }
        for (std::size_t i : deleted_) {
            FUZZ_CHECK(removed.count(i), "deleted message " + std::to_string(i + 1) + " not removed at UPDATE");
        }
        for (const auto& id : update.retrieved) {
            const std::size_t i = mailbox_->index_of(id);
            FUZZ_CHECK(retrieved_.count(i) && !removed.count(i), "a retrieval recorded for a message not retrieved");
        }
    }

    void on_line(const std::string& line) {
        const SessionState before = session_.state();
        const bool sasl_line = in_sasl_;
        const Command command = parse_command(line);
        const std::size_t n = command.args.size();
        const std::string& k = command.keyword;
        const bool multi_line = !sasl_line && (k == "CAPA" || k == "RETR" || k == "TOP" ||
                                               ((k == "LIST" || k == "UIDL" || k == "AUTH" || k == "LANG") && n == 0));
        quitting_ = !sasl_line && k == "QUIT";
        const std::string wire = drain(session_.on_line(line));
        if (trace_) std::fprintf(stderr, "C: %s\nS: %s\n", escaped(line).c_str(), escaped(wire, 400).c_str());
        FUZZ_CHECK(!wire.empty(), "no reply to a command line");
        const Reply reply = parse_reply(wire, multi_line);
        const bool ok = reply.status.starts_with("+OK");
        in_sasl_ = reply.status.starts_with("+ ");
        const SessionState after = session_.state();

        // The state machine.
        FUZZ_CHECK(closed_ == (after == SessionState::closed), "closed state without close, or the reverse");
        FUZZ_CHECK(session_.stats().end.has_value() == closed_, "end reason and closed state disagree");
        FUZZ_CHECK((session_.mailbox() != nullptr) == (after == SessionState::transaction), "mailbox held outside TRANSACTION");
        FUZZ_CHECK(!in_sasl_ || (before == SessionState::authorization && (sasl_line || k == "AUTH")),
                   "a SASL challenge outside AUTH");
        if (before == SessionState::transaction) {
            FUZZ_CHECK(after != SessionState::authorization, "TRANSACTION went back to AUTHORIZATION");
        }
        if (before == SessionState::authorization && after == SessionState::transaction) {
            FUZZ_CHECK(ok && (sasl_line || k == "PASS" || k == "APOP" || k == "AUTH"), "logged in without a +OK login");
            FUZZ_CHECK(logged_in_, "TRANSACTION without a good login");
        }
        if (closed_) mailbox_ = nullptr;  // the session dropped it
        if (sasl_line || !ok) return;
        FUZZ_CHECK(legal_in(k, before, settings_.session.last_command),
                   "+OK to " + escaped(k) + " in a state where it is not valid");
        if (before == SessionState::authorization) {
            if (k == "UTF8") utf8_ = true;
            if (k == "USER" || k == "PASS") {
                FUZZ_CHECK(settings_.session.plaintext_auth_allowed || tls_, "USER/PASS +OK where plaintext is refused");
            }
            return;
        }
        if (!closed_) check_transaction(command, reply, line);
    }

    void check_transaction(const Command& c, const Reply& reply, const std::string& line) {
        const std::string& k = c.keyword;
        const std::size_t total = count();
        // A message named by a +OK reply exists and is not deleted.
        std::optional<std::size_t> index;
        if ((k == "RETR" || k == "TOP" || k == "DELE" || k == "LIST" || k == "UIDL") && !c.args.empty()) {
            const auto number = number_of(c.args[0]);
            FUZZ_CHECK(number && *number >= 1 && *number <= total, "+OK for a bad message number: " + escaped(line));
            index = static_cast<std::size_t>(*number - 1);
            FUZZ_CHECK(!deleted_.count(*index), "+OK to " + k + " of deleted message " + std::to_string(*number));
        }
        std::size_t live = 0;
        std::uint64_t octets = 0;
        for (std::size_t i = 0; i < total; ++i) {
            if (!deleted_.count(i)) {
                ++live;
                octets += listed_size(i);
            }
        }
        if (k == "DELE") {
            deleted_.insert(*index);
        } else if (k == "RSET") {
            deleted_.clear();
        } else if (k == "STAT") {
            FUZZ_CHECK(reply.status == "+OK " + std::to_string(live) + " " + std::to_string(octets),
                       "STAT: " + reply.status);
        } else if ((k == "LIST" || k == "UIDL") && index) {
            const std::string value =
                k == "LIST" ? std::to_string(listed_size(*index)) : mailbox_->messages()[*index].uidl;
            FUZZ_CHECK(reply.status == "+OK " + std::to_string(*index + 1) + " " + value, k + ": " + reply.status);
        } else if (k == "LIST" || k == "UIDL") {
            std::string want;
            for (std::size_t i = 0; i < total; ++i) {
                if (deleted_.count(i)) continue;
                want += std::to_string(i + 1) + " " +
                        (k == "LIST" ? std::to_string(listed_size(i)) : mailbox_->messages()[i].uidl) + "\r\n";
            }
            FUZZ_CHECK(*reply.body == want, k + " listing: " + escaped(*reply.body));
        } else if (k == "RETR") {
            const std::string want = expected_content(mailbox_->body(*index), utf8_);
            FUZZ_CHECK(reply.status == "+OK " + std::to_string(listed_size(*index)) + " octets",
                       "RETR size: " + reply.status);
            FUZZ_CHECK(want.size() == listed_size(*index),
                       "RETR sends " + std::to_string(want.size()) + " octets, LIST says " +
                           std::to_string(listed_size(*index)) + (utf8_ ? " (UTF8)" : " (downgraded)"));
            FUZZ_CHECK(*reply.body == want, "RETR content: " + escaped(*reply.body) + " want " + escaped(want));
            retrieved_.insert(*index);
        } else if (k == "TOP") {
            const std::string whole = expected_content(mailbox_->body(*index), utf8_);
            FUZZ_CHECK(whole.starts_with(*reply.body), "TOP is not a prefix of the message: " + escaped(*reply.body));
        } else if (k == "LAST") {
            const auto last = number_of(std::string_view(reply.status).substr(4));
            FUZZ_CHECK(last && *last <= total, "LAST: " + reply.status);
        }
    }

    // POPLAR_FUZZ_TRACE=1: print the transcript (to read a reproducer).
    const bool trace_ = std::getenv("POPLAR_FUZZ_TRACE") != nullptr;
    Settings settings_;
    protocol::Session session_;
    protocol::LineFramer framer_;
    std::string extra_;
    fuzz::MailboxLog log_;
    fuzz::FuzzMailbox* mailbox_ = nullptr;  // owned by the session once logged in
    bool closed_ = false;
    bool tls_ = false;
    bool in_sasl_ = false;
    bool utf8_ = false;
    bool logged_in_ = false;
    bool quitting_ = false;
    bool updated_ = false;
    std::set<std::size_t> deleted_;
    std::set<std::size_t> retrieved_;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    Settings settings = settings_from(data);
    std::size_t offset = 4;
    std::string extra;
    if (offset < size) {
        const std::size_t length = std::min<std::size_t>(data[offset], size - offset - 1);
        extra.assign(reinterpret_cast<const char*>(data) + offset + 1, length);
        offset += 1 + length;
    }
    Driver driver(std::move(settings), std::move(extra));
    driver.run(std::string_view(reinterpret_cast<const char*>(data) + offset, size - offset));
    return 0;
}
