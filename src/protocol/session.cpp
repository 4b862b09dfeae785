// The POP3 session: the command table, the legality check done once before
// any handler runs, and the handlers (RFC 1939 sections 4-7, RFC 2449 CAPA,
// RFC 1225 LAST).
#include "protocol/session.hpp"

#include "protocol/command.hpp"
#include "protocol/listing_body.hpp"
#include "protocol/message_body.hpp"
#include "protocol/reply.hpp"
#include "store/expiry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <span>
#include <system_error>

namespace poplar::protocol {
namespace {

constexpr unsigned in_authorization = 1u << 0;
constexpr unsigned in_transaction = 1u << 1;
constexpr unsigned in_any = in_authorization | in_transaction;

// The argument shapes of RFC 1939's commands.
enum class Args {
    none,          // STAT, NOOP, ...
    one,           // RETR msg
    optional_one,  // LIST [msg]
    two,           // TOP msg n, APOP name digest
    up_to_two,     // AUTH [mechanism [initial-response]]
    text,          // PASS string: the rest of the line, spaces and all (RFC 1939 section 7)
};

} // namespace

struct Session::Command {
    std::string_view name;
    unsigned states;
    Args args;
    Output (*handler)(Session&, const CommandLine&);
    // LAST is an RFC 1225 leftover that can be switched off.
    bool is_last = false;
};

struct CommandTable {
    static std::span<const Session::Command> rows() {
        using S = Session;
        using L = const CommandLine&;
        static const std::array<Session::Command, 18> table{{
            {"USER", in_authorization, Args::one, [](S& s, L c) { return s.cmd_user(c.args[0]); }},
            {"PASS", in_authorization, Args::text, [](S& s, L c) { return s.cmd_pass(c.rest); }},
            {"APOP", in_authorization, Args::two, [](S& s, L c) { return s.cmd_apop(c.args[0], c.args[1]); }},
            {"QUIT", in_any, Args::none, [](S& s, L) { return s.cmd_quit(); }},
            {"CAPA", in_any, Args::none, [](S& s, L) { return s.cmd_capa(); }},
            {"STLS", in_authorization, Args::none, [](S& s, L) { return s.cmd_stls(); }},
            {"AUTH", in_authorization, Args::up_to_two, [](S& s, L c) { return s.cmd_auth(c.args); }},
            {"UTF8", in_authorization, Args::none, [](S& s, L) { return s.cmd_utf8(); }},
            {"LANG", in_any, Args::optional_one,
             [](S& s, L c) { return s.cmd_lang(c.args.empty() ? std::nullopt : std::optional(c.args[0])); }},
            {"STAT", in_transaction, Args::none, [](S& s, L) { return s.cmd_stat(); }},
            {"LIST", in_transaction, Args::optional_one,
             [](S& s, L c) { return s.cmd_list(c.args.empty() ? std::nullopt : std::optional(c.args[0])); }},
            {"UIDL", in_transaction, Args::optional_one,
             [](S& s, L c) { return s.cmd_uidl(c.args.empty() ? std::nullopt : std::optional(c.args[0])); }},
            {"RETR", in_transaction, Args::one, [](S& s, L c) { return s.cmd_retr(c.args[0]); }},
            {"TOP", in_transaction, Args::two, [](S& s, L c) { return s.cmd_top(c.args[0], c.args[1]); }},
            {"DELE", in_transaction, Args::one, [](S& s, L c) { return s.cmd_dele(c.args[0]); }},
            {"NOOP", in_transaction, Args::none, [](S& s, L) { return s.cmd_noop(); }},
            {"RSET", in_transaction, Args::none, [](S& s, L) { return s.cmd_rset(); }},
            {"LAST", in_transaction, Args::none, [](S& s, L) { return s.cmd_last(); }, true},
        }};
        return table;
    }
};

namespace {

const Session::Command* find_command(std::string_view keyword, bool last_enabled) {
    for (const auto& row : CommandTable::rows()) {
        if (row.name == keyword && (!row.is_last || last_enabled)) {
            return &row;
        }
    }
    return nullptr;
}

// Why the arguments do not fit the shape, or nullopt when they do.
std::optional<std::string> check_args(const Session::Command& command, const CommandLine& line) {
    const std::size_t n = line.args.size();
    const bool has_empty = std::any_of(line.args.begin(), line.args.end(), [](auto a) { return a.empty(); });
    switch (command.args) {
    case Args::none:
        if (n == 0) return std::nullopt;
        return fmt::format("{} takes no arguments.", command.name);
    case Args::one:
        if (n == 1 && !has_empty) return std::nullopt;
        return fmt::format("{} takes exactly one argument.", command.name);
    case Args::optional_one:
        if (n == 0 || (n == 1 && !has_empty)) return std::nullopt;
        return fmt::format("{} takes at most one argument.", command.name);
    case Args::two:
        if (n == 2 && !has_empty) return std::nullopt;
        return fmt::format("{} takes exactly two arguments.", command.name);
    case Args::up_to_two:
        if (n <= 2 && !has_empty) return std::nullopt;
        return fmt::format("{} takes at most two arguments.", command.name);
    case Args::text:
        if (!line.rest.empty()) return std::nullopt;
        return fmt::format("{} needs an argument.", command.name);
    }
    return std::nullopt;
}

std::string octets_summary(std::size_t count, std::uint64_t octets) {
    return fmt::format("{} message{} ({} octets)", count, count == 1 ? "" : "s", octets);
}

Output reply(std::string text, std::unique_ptr<BodySource> body = nullptr) {
    Output output;
    output.text = std::move(text);
    output.body = std::move(body);
    return output;
}

} // namespace

const char* to_string(EndReason reason) {
    switch (reason) {
    case EndReason::quit: return "quit";
    case EndReason::dropped: return "dropped";
    case EndReason::idle_timeout: return "idle-timeout";
    case EndReason::too_many_bad_commands: return "too-many-bad-commands";
    case EndReason::line_too_long: return "line-too-long";
    case EndReason::shutdown: return "shutdown";
    case EndReason::io_error: return "io-error";
    case EndReason::connection_limit: return "connection-limit";
    case EndReason::tls_failed: return "tls-failed";
    }
    return "unknown";
}

Session::Session(SessionSettings settings) : settings_(std::move(settings)) {}

std::string Session::greeting() const {
    if (settings_.apop_timestamp.empty()) {
        return ok(fmt::format("{} POP3 server ready", settings_.hostname));
    }
    return ok(fmt::format("{} POP3 server ready {}", settings_.hostname, settings_.apop_timestamp));
}

Output Session::on_line(std::string_view line) {
    if (state_ == SessionState::closed || awaiting_) {
        // The network layer broke the contract: a bug, not client input.
        std::abort();
    }
    if (sasl_) {
        // Inside AUTH, a line is the client's answer to a challenge.
        return sasl_response(line);
    }
    return dispatch(line);
}

Output Session::dispatch(std::string_view line) {
    if (line.find('\0') != std::string_view::npos) {
        return bad_command("NUL byte in command.");
    }
    if (line.empty()) {
        return bad_command("Empty command.");
    }
    const CommandLine command_line = split_command(line);
    const Command* command = find_command(command_line.keyword, settings_.last_command);
    if (command == nullptr) {
        if (command_line.keyword.size() <= 16) {
            return bad_command(fmt::format("Unknown command: {}", sanitize_for_log(command_line.keyword)));
        }
        return bad_command("Unknown command.");
    }
    const unsigned state_bit = state_ == SessionState::authorization ? in_authorization : in_transaction;
    if ((command->states & state_bit) == 0) {
        return bad_command(fmt::format("{} is not valid {}.", command->name,
                                       state_ == SessionState::authorization ? "before login" : "after login"));
    }
    if (auto problem = check_args(*command, command_line)) {
        return bad_command(std::move(*problem));
    }
    return command->handler(*this, command_line);
}

Output Session::bad_command(std::string text) {
    ++bad_commands_;
    const unsigned limit = state_ == SessionState::authorization ? settings_.max_bad_commands_before_login
                                                                 : settings_.max_bad_commands;
    if (bad_commands_ >= limit) {
        return close_with(err(text + " Too many bad commands; closing connection."),
                          EndReason::too_many_bad_commands);
    }
    return reply(err(text));
}

Output Session::close_with(std::string text, EndReason reason) {
    state_ = SessionState::closed;
    stats_.end = reason;
    // Dropping the mailbox releases its lock without applying any mark.
    mailbox_.reset();
    snapshot_.clear();
    return [&] { Output o; o.text = std::move(text); o.close = true; return o; }();
}

void Session::release(EndReason reason) {
    if (state_ != SessionState::closed) {
        close_with("", reason);
    }
}

Output Session::on_line_too_long() {
    return close_with(err("Line too long; closing connection."), EndReason::line_too_long);
}

Output Session::on_idle_timeout() {
    // RFC 1939 section 3: on the inactivity timer the server closes the
    // connection "without removing any messages or sending any response".
    return close_with("", EndReason::idle_timeout);
}

// --- AUTHORIZATION (RFC 1939 section 4 and 7) ------------------------------

Output Session::cmd_user(std::string_view name) {
    if (!settings_.plaintext_auth_allowed) {
        // Refused at USER, so a well-behaved client never sends the password.
        return reply(err("Plaintext authentication is not allowed on a connection without TLS; use STLS first "
                         "(or the POP3S port).",
                         ResponseCode::auth));
    }
    // Always +OK: whether the user exists is only told after PASS, so that
    // USER cannot be used to probe for names.
    pending_user_ = std::string(name);
    return reply(ok("Send PASS"));
}

Output Session::cmd_pass(std::string_view password) {
    if (!pending_user_) {
        return bad_command("Send USER first.");
    }
    auth::PasswordCredentials credentials{std::move(*pending_user_), std::string(password)};
    pending_user_.reset();
    return login_request(std::move(credentials));
}

// The one way into a login, for USER/PASS, APOP and every SASL mechanism.
Output Session::login_request(auth::Credentials credentials) {
    awaiting_ = true;
    Output output;
    output.login = std::move(credentials);
    return output;
}

Output Session::cmd_apop(std::string_view user, std::string_view digest) {
    if (settings_.apop_timestamp.empty()) {
        return bad_command("APOP is not enabled on this server.");
    }
    if (digest.size() != 32 ||
        !std::all_of(digest.begin(), digest.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
        return bad_command("APOP digest must be 32 hexadecimal digits.");
    }
    pending_user_.reset();
    return login_request(auth::ApopCredentials{std::string(user), settings_.apop_timestamp, std::string(digest)});
}

Output Session::on_login_result(LoginResult result) {
    if (!awaiting_ || state_ != SessionState::authorization) {
        std::abort();  // the network layer answered a request that was not made
    }
    awaiting_ = false;
    switch (result.status) {
    case LoginStatus::ok:
        break;
    case LoginStatus::bad_credentials:
        // A failed login counts as a bad command: guessing passwords on one
        // connection ends as soon as typing unknown commands would.
        if (++bad_commands_ >= settings_.max_bad_commands_before_login) {
            return close_with(err("Authentication failed: wrong user name or password. Too many failures; "
                                  "closing connection.",
                                  ResponseCode::auth),
                              EndReason::too_many_bad_commands);
        }
        return reply(err("Authentication failed: wrong user name or password.", ResponseCode::auth));
    case LoginStatus::in_use:
        return reply(err("Mailbox is in use by another POP3 session; try again later.", ResponseCode::in_use));
    case LoginStatus::temporary_failure:
        return reply(err("Temporary server failure; try again later.", ResponseCode::sys_temp));
    case LoginStatus::permanent_failure:
        return reply(err("Your mailbox cannot be opened; contact your administrator.", ResponseCode::sys_perm));
    case LoginStatus::login_delay:
        return reply(err(fmt::format("Logins are allowed once every {} seconds; try again later.",
                                     settings_.login_delay_seconds),
                         ResponseCode::login_delay));
    }
    expire_days_ = result.expire_days;
    mailbox_ = std::move(result.mailbox);
    stats_.user = std::move(result.user);
    state_ = SessionState::transaction;
    bad_commands_ = 0;
    snapshot_.clear();
    snapshot_.reserve(mailbox_->messages().size());
    for (const auto& info : mailbox_->messages()) {
        snapshot_.push_back(Entry{&info});
    }
    const auto [count, octets] = live_totals();
    return reply(ok(fmt::format("Logged in, maildrop has {}", octets_summary(count, octets))));
}

Output Session::cmd_quit() {
    if (state_ == SessionState::authorization) {
        return close_with(ok("Bye"), EndReason::quit);
    }
    // RFC 1939 section 6: QUIT in TRANSACTION enters UPDATE. RFC 2449 EXPIRE:
    // a message first retrieved `expire_days` ago or more goes too; with
    // EXPIRE 0, so does every message retrieved in this session.
    UpdateRequest update;
    update.now = now();
    // The snapshot is messages() itself, in the same order.
    const auto expired = settings_.expire_at_quit
                             ? store::expired_messages(mailbox_->messages(), expire_days_, update.now)
                             : std::vector<store::StoreId>{};
    for (std::size_t i = 0; i < snapshot_.size(); ++i) {
        const Entry& entry = snapshot_[i];
        const bool expires_now = settings_.expire_at_quit && entry.retrieved && expire_days_ == 0u;
        const bool expired_before = std::find(expired.begin(), expired.end(), entry.info->id) != expired.end();
        if (entry.deleted || expires_now || expired_before) {
            update.remove.push_back(entry.info->id);
        } else if (entry.retrieved && !entry.info->first_retrieved) {
            update.retrieved.push_back(entry.info->id);
        }
    }
    if (update.remove.empty() && update.retrieved.empty()) {
        const auto [count, octets] = live_totals();
        return close_with(ok(fmt::format("Bye, {} left", octets_summary(count, octets))), EndReason::quit);
    }
    awaiting_ = true;
    Output output;
    output.update = std::move(update);
    return output;
}

Output Session::on_update_result(const store::UpdateResult& result) {
    if (!awaiting_ || state_ != SessionState::transaction) {
        std::abort();
    }
    awaiting_ = false;
    stats_.deleted = result.removed;
    if (result.lease_lost) {
        return close_with(err("Mailbox lock was lost; no messages were deleted.", ResponseCode::sys_temp),
                          EndReason::quit);
    }
    if (!result.failed.empty()) {
        return close_with(err(fmt::format("Some deleted messages not removed ({} of {}).", result.failed.size(),
                                          result.failed.size() + result.removed),
                              ResponseCode::sys_temp),
                          EndReason::quit);
    }
    const std::size_t left = snapshot_.size() - std::min(snapshot_.size(), result.removed);
    return close_with(ok(fmt::format("Bye, {} message{} deleted, {} left", result.removed,
                                     result.removed == 1 ? "" : "s", left)),
                      EndReason::quit);
}

Output Session::cmd_capa() {
    // RFC 2449 section 6: only what is really offered.
    const bool before_login = state_ == SessionState::authorization;
    std::string text = ok("Capability list follows");
    text += "TOP\r\nUIDL\r\n";
    if (settings_.plaintext_auth_allowed) text += "USER\r\n";
    const auto mechanisms = offered_mechanisms();
    if (!mechanisms.empty()) {
        text += "SASL";
        for (const auto mechanism : mechanisms) {
            text += ' ';
            text += auth::sasl::name(mechanism);
        }
        text += "\r\n";
    }
    if (settings_.stls_offered && before_login) text += "STLS\r\n";
    text += "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
    // RFC 2449 section 6.7: before login the server's default, marked USER
    // because a passwd-file field (pop3_expire_days=) can change it for a
    // user; after login, the value this user's messages are kept by.
    const auto expire = before_login ? settings_.expire_days : expire_days_;
    text += fmt::format("EXPIRE {}{}\r\n", expire ? fmt::format("{}", *expire) : "NEVER", before_login ? " USER" : "");
    if (settings_.login_delay_seconds > 0) {
        text += fmt::format("LOGIN-DELAY {}\r\n", settings_.login_delay_seconds);
    }
    // RFC 6856: UTF-8 user names and passwords are accepted ("USER"), and
    // messages go out unchanged after the UTF8 command.
    if (before_login) text += "UTF8 USER\r\n";
    text += "LANG\r\n";
    text += "IMPLEMENTATION poplar\r\n.\r\n";
    return reply(std::move(text));
}

Output Session::cmd_stls() {
    if (settings_.tls_active) {
        return reply(err("This connection already uses TLS."));
    }
    if (!settings_.stls_offered) {
        return reply(err("STLS is not available: this server has no TLS certificate configured."));
    }
    // RFC 2595 section 4: nothing said before TLS carries over.
    pending_user_.reset();
    awaiting_ = true;
    Output output = reply(ok("Begin TLS negotiation"));
    output.start_tls = true;
    return output;
}

void Session::on_tls_started(std::vector<auth::sasl::ChannelBinding> bindings) {
    const bool after_stls = awaiting_;
    if (state_ != SessionState::authorization || (!after_stls && !settings_.tls_active)) {
        std::abort();  // the network layer answered a request that was not made
    }
    awaiting_ = false;
    channel_bindings_ = std::move(bindings);
    settings_.tls_active = true;
    settings_.stls_offered = false;
    settings_.plaintext_auth_allowed = true;
}

// --- TRANSACTION (RFC 1939 section 5 and 7) --------------------------------

std::pair<std::size_t, std::uint64_t> Session::live_totals() const {
    std::size_t count = 0;
    std::uint64_t octets = 0;
    for (const auto& entry : snapshot_) {
        if (!entry.deleted) {
            ++count;
            octets += wire_size(*entry.info);
        }
    }
    return {count, octets};
}

std::optional<SnapshotIndex> Session::live_message(std::string_view arg, Output& error) {
    const auto number = parse_decimal(arg, std::numeric_limits<std::uint32_t>::max());
    if (!number) {
        error = bad_command("Invalid message number.");
        return std::nullopt;
    }
    const MessageNumber message{static_cast<std::uint32_t>(*number)};
    const auto index = to_index(message, snapshot_.size());
    if (!index) {
        error = bad_command(fmt::format("There's no message {}.", message.value));
        return std::nullopt;
    }
    if (snapshot_[index->value].deleted) {
        error = reply(err(fmt::format("Message {} is deleted.", message.value)));
        return std::nullopt;
    }
    return index;
}

// RFC 6856: without UTF8, a header with UTF-8 goes out downgraded to 7-bit,
// and every size the client sees is that of the downgraded message.
std::uint64_t Session::wire_size(const store::MessageInfo& info) const {
    return utf8_ ? info.size : info.downgraded_size;
}

void Session::note_access(SnapshotIndex index) {
    highest_accessed_ = std::max(highest_accessed_, to_number(index).value);
}

Output Session::cmd_stat() {
    const auto [count, octets] = live_totals();
    return reply(ok(fmt::format("{} {}", count, octets)));
}

// LIST and UIDL have one shape (RFC 1939 sections 5 and 7): with an argument,
// "+OK n value" for one live message; without, a line per live message.
Output Session::per_message(std::optional<std::string_view> arg, std::string header, MessageField field) {
    // "n value" appended in place: a 100,000-line UIDL listing makes no
    // temporary string per line.
    auto append_line = [this, field](std::string& out, MessageNumber number, const store::MessageInfo& info) {
        if (field == MessageField::size) {
            fmt::format_to(std::back_inserter(out), "{} {}", number.value, wire_size(info));
        } else {
            fmt::format_to(std::back_inserter(out), "{} {}", number.value, info.uidl);
        }
    };
    if (arg) {
        Output error;
        const auto index = live_message(*arg, error);
        if (!index) return error;
        std::string text;
        append_line(text, to_number(*index), *snapshot_[index->value].info);
        return reply(ok(text));
    }
    return reply(ok(header), make_listing_body(snapshot_.size(), [this, append_line](std::size_t i, std::string& out) {
                     if (!snapshot_[i].deleted) {
                         append_line(out, to_number(SnapshotIndex{i}), *snapshot_[i].info);
                         out += "\r\n";
                     }
                 }));
}

Output Session::cmd_list(std::optional<std::string_view> arg) {
    const auto [count, octets] = live_totals();
    return per_message(arg, octets_summary(count, octets), MessageField::size);
}

Output Session::cmd_uidl(std::optional<std::string_view> arg) {
    return per_message(arg, "Unique-ID listing follows", MessageField::uidl);
}

namespace {

// Runs one open attempt and sorts its outcome; `open` may throw what
// Mailbox::open_message throws.
template <typename Open>
MessageOpenResult sorted_open(Open open) {
    MessageOpenResult result;
    try {
        result.raw = open();
        result.status = MessageOpenResult::Status::ok;
    } catch (const store::MessageGone&) {
        result.status = MessageOpenResult::Status::gone;
    } catch (const std::system_error&) {
        result.status = MessageOpenResult::Status::unreadable;
    }
    return result;
}

} // namespace

MessageOpenResult open_message_blocking(store::Mailbox& mailbox, const store::StoreId& id) {
    MessageOpenResult result = sorted_open([&] { return mailbox.open_message(id); });
    if (result.status == MessageOpenResult::Status::ok && !result.raw) {
        result.status = MessageOpenResult::Status::gone;  // a backend must not do this; be safe
    }
    return result;
}

// RETR and TOP: open the message where the snapshot saw it, on this thread;
// if it is not there, ask for the search on the worker pool (DESIGN.md: scans
// never run on an I/O thread) and answer in on_message_opened().
Output Session::send_message(SnapshotIndex index, std::optional<std::uint64_t> top_lines) {
    const store::StoreId& id = snapshot_[index.value].info->id;
    MessageOpenResult opened = sorted_open([&] { return mailbox_->try_open_message(id); });
    if (opened.status == MessageOpenResult::Status::ok && !opened.raw) {
        pending_message_ = PendingMessage{index, top_lines};
        awaiting_ = true;
        Output output;
        output.open_message = id;
        return output;
    }
    return message_reply(index, top_lines, std::move(opened));
}

Output Session::on_message_opened(MessageOpenResult result) {
    if (!awaiting_ || !pending_message_ || state_ != SessionState::transaction) {
        std::abort();  // the network layer answered a request that was not made
    }
    awaiting_ = false;
    const PendingMessage pending = *pending_message_;
    pending_message_.reset();
    return message_reply(pending.index, pending.top_lines, std::move(result));
}

Output Session::message_reply(SnapshotIndex index, std::optional<std::uint64_t> top_lines,
                              MessageOpenResult opened) {
    const MessageNumber number = to_number(index);
    switch (opened.status) {
    case MessageOpenResult::Status::ok:
        break;
    case MessageOpenResult::Status::gone:
        return reply(err(fmt::format("Message {} was removed by another program.", number.value)));
    case MessageOpenResult::Status::unreadable:
        return reply(err(fmt::format("Message {} cannot be read right now; try again later.", number.value),
                         ResponseCode::sys_temp));
    }
    auto body = make_message_body(std::move(opened.raw), top_lines, /*downgrade_headers=*/!utf8_);
    if (top_lines) {
        // RFC 1225: TOP does not change the highest message number accessed.
        return reply(ok("Top of message follows"), std::move(body));
    }
    const auto& info = *snapshot_[index.value].info;
    snapshot_[index.value].retrieved = true;
    note_access(index);
    ++stats_.retrieved;
    stats_.retrieved_octets += wire_size(info);
    return reply(ok(fmt::format("{} octets", wire_size(info))), std::move(body));
}

Output Session::cmd_retr(std::string_view arg) {
    Output error;
    const auto index = live_message(arg, error);
    if (!index) return error;
    return send_message(*index, std::nullopt);
}

Output Session::cmd_top(std::string_view arg, std::string_view lines_arg) {
    Output error;
    const auto index = live_message(arg, error);
    if (!index) return error;
    const auto lines = parse_decimal(lines_arg, std::numeric_limits<std::uint64_t>::max());
    if (!lines) {
        return bad_command("Invalid number of lines.");
    }
    return send_message(*index, *lines);
}

Output Session::cmd_dele(std::string_view arg) {
    Output error;
    const auto index = live_message(arg, error);
    if (!index) return error;
    snapshot_[index->value].deleted = true;
    note_access(*index);
    return reply(ok(fmt::format("Message {} deleted", to_number(*index).value)));
}

Output Session::cmd_noop() {
    return reply(ok(""));
}

Output Session::cmd_rset() {
    for (auto& entry : snapshot_) {
        entry.deleted = false;
    }
    highest_accessed_ = 0;
    const auto [count, octets] = live_totals();
    return reply(ok(fmt::format("Maildrop has {}", octets_summary(count, octets))));
}

Output Session::cmd_last() {
    return reply(ok(fmt::format("{}", highest_accessed_)));
}

} // namespace poplar::protocol
