// The POP3 session state machine (RFC 1939, RFC 2449 CAPA, RFC 1225 LAST),
// sans-I/O: lines in, replies out, and requests for the outside world to
// verify credentials or apply UPDATE.
#pragma once

#include "auth/credentials.hpp"
#include "auth/passdb.hpp"
#include "auth/sasl.hpp"
#include "protocol/body_source.hpp"
#include "protocol/message_number.hpp"
#include "store/mailbox.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace poplar::protocol {

struct SessionSettings {
    // Named in the greeting, so a user can tell which server answered.
    std::string hostname = "localhost";
    // The APOP timestamp for the greeting ("<...@host>"); empty: APOP is off.
    std::string apop_timestamp;
    bool last_command = true;
    // Dovecot's limits: a client that sends this many bad commands is not a
    // mail client having a bad day, so the session ends.
    unsigned max_bad_commands_before_login = 3;
    unsigned max_bad_commands = 20;
    // The connection is TLS from its first byte (listen_tls).
    bool tls_active = false;
    // STLS is offered: a certificate is configured and the connection is plain.
    bool stls_offered = false;
    // USER/PASS and SASL PLAIN/LOGIN may be used: TLS is active, the client is
    // on loopback, or the listener is in allow_plaintext_auth. STLS sets it.
    bool plaintext_auth_allowed = true;
    // SASL mechanisms the config offers, in CAPA order. PLAIN and LOGIN are
    // left out while plaintext auth is not allowed, -PLUS without TLS.
    std::vector<auth::sasl::Mechanism> sasl_mechanisms;
    // RFC 2449 EXPIRE before login (the server's default; nullopt: NEVER) and
    // LOGIN-DELAY in seconds (0: not advertised).
    std::optional<unsigned> expire_days;
    std::uint32_t login_delay_seconds = 0;
    // Remove expired messages at QUIT (else `poplar expire` does it).
    bool expire_at_quit = true;
    // Unix seconds now; injected so tests need no clock.
    std::function<std::int64_t()> clock;
};

enum class SessionState { authorization, transaction, closed };

// What the network layer found when it ran a login request.
enum class LoginStatus { ok, bad_credentials, in_use, temporary_failure, permanent_failure, login_delay };

struct LoginResult {
    LoginStatus status = LoginStatus::temporary_failure;
    std::string user;                        // canonical name, when ok
    std::unique_ptr<store::Mailbox> mailbox; // open and locked, when ok
    // The user's EXPIRE (passwd-file pop3_expire_days=, else the server's), when ok.
    std::optional<unsigned> expire_days;
};

// A SCRAM exchange needs the user's salt and keys: PassDb::scram_secrets.
struct SaslLookupRequest {
    std::string user;
    auth::ScramHash hash{};
};

// RFC 1939 UPDATE: remove these messages, then record the first retrieval of
// those retrieved in this session (RFC 2449 EXPIRE counts from it).
struct UpdateRequest {
    std::vector<store::StoreId> remove;
    std::vector<store::StoreId> retrieved;
    std::int64_t now = 0;
};

// Why a session ended, for the one log line per session.
enum class EndReason {
    quit, dropped, idle_timeout, too_many_bad_commands, line_too_long, shutdown, io_error, connection_limit,
    tls_failed,
};
const char* to_string(EndReason reason);

// A message opened on the worker pool for RETR/TOP (see Output::open_message).
struct MessageOpenResult {
    enum class Status { ok, gone, unreadable };
    Status status = Status::unreadable;
    std::unique_ptr<store::ByteSource> raw;  // set when ok
};

// Opens a message with Mailbox::open_message, which may list the whole
// Maildir: run it on the worker pool. Never throws.
MessageOpenResult open_message_blocking(store::Mailbox& mailbox, const store::StoreId& id);

// The result of feeding the session one event. The network layer writes
// `text`, then drains `body` if set; then, if `login` is set, verifies the
// credentials and opens the mailbox and calls on_login_result(); if `update`
// is set, calls Mailbox::remove() with those ids and then on_update_result();
// if `open_message` is set, runs open_message_blocking() on the worker pool
// and calls on_message_opened(); then, if `close` is set, closes the
// connection after the write.
struct Output {
    std::string text;
    std::unique_ptr<BodySource> body;
    std::optional<auth::Credentials> login;
    std::optional<SaslLookupRequest> sasl_lookup;
    std::optional<UpdateRequest> update;
    std::optional<store::StoreId> open_message;
    // STLS: after writing `text`, throw away anything buffered from the client,
    // run the TLS handshake, then call on_tls_started() (or end the session
    // if the handshake fails).
    bool start_tls = false;
    bool close = false;
};

struct SessionStats {
    std::string user;              // empty before login
    std::uint64_t retrieved = 0;   // RETR replies sent
    std::uint64_t retrieved_octets = 0;
    std::uint64_t deleted = 0;     // messages removed at UPDATE (DELE and EXPIRE)
    std::optional<EndReason> end;  // set when the session decided to end
};

class Session {
public:
    explicit Session(SessionSettings settings);

    // The greeting line, sent once when the connection opens.
    std::string greeting() const;

    // One command line, without its CRLF. Must not be called while a login or
    // update request is outstanding, nor after close.
    Output on_line(std::string_view line);

    // Answers a login request made by on_line().
    Output on_login_result(LoginResult result);

    // Answers a sasl_lookup request made by on_line().
    Output on_sasl_lookup(auth::ScramLookup lookup);

    // Answers an update request made by on_line() (QUIT in TRANSACTION).
    Output on_update_result(const store::UpdateResult& result);

    // Answers an open_message request made by on_line() (RETR or TOP of a
    // message that was not where the snapshot saw it).
    Output on_message_opened(MessageOpenResult result);

    // Ends the session from outside (dropped connection, shutdown, I/O error):
    // releases the mailbox and its lock without applying any mark, and records
    // the reason unless the session had already ended on its own.
    void release(EndReason reason);

    // TLS is up: after STLS (the session goes on in AUTHORIZATION, as if newly
    // connected but for the greeting, RFC 2595), or on a listen_tls
    // connection before the greeting. `bindings`: what SCRAM-PLUS can bind to.
    void on_tls_started(std::vector<auth::sasl::ChannelBinding> bindings);

    // The client's line passed the length cap.
    Output on_line_too_long();

    // The client said nothing for too long: close without a reply.
    Output on_idle_timeout();

    SessionState state() const { return state_; }
    // The open mailbox in TRANSACTION (for the network layer to run UPDATE on);
    // null otherwise.
    store::Mailbox* mailbox() const { return mailbox_.get(); }
    const SessionStats& stats() const { return stats_; }

    struct Command;  // a row of the command table (session.cpp)

private:
    struct Entry {
        const store::MessageInfo* info;
        bool deleted = false;
        bool retrieved = false;  // a RETR reply was sent in this session
    };

    Output dispatch(std::string_view line);
    Output bad_command(std::string text);
    std::optional<SnapshotIndex> live_message(std::string_view arg, Output& error);

    // Handlers, one per command; arguments are already counted by the table.
    Output cmd_user(std::string_view rest);
    Output cmd_pass(std::string_view rest);
    Output cmd_apop(std::string_view user, std::string_view digest);
    Output cmd_quit();
    Output cmd_capa();
    Output cmd_stls();
    Output cmd_auth(std::span<const std::string_view> args);
    Output cmd_utf8();
    Output cmd_lang(std::optional<std::string_view> range);
    Output cmd_stat();
    Output cmd_list(std::optional<std::string_view> arg);
    Output cmd_uidl(std::optional<std::string_view> arg);
    Output cmd_retr(std::string_view arg);
    Output cmd_top(std::string_view arg, std::string_view lines);
    Output cmd_dele(std::string_view arg);
    Output cmd_noop();
    Output cmd_rset();
    Output cmd_last();

    enum class MessageField { size, uidl };
    Output per_message(std::optional<std::string_view> arg, std::string header, MessageField field);

    Output send_message(SnapshotIndex index, std::optional<std::uint64_t> top_lines);
    Output message_reply(SnapshotIndex index, std::optional<std::uint64_t> top_lines, MessageOpenResult opened);

    Output close_with(std::string text, EndReason reason);
    Output login_request(auth::Credentials credentials);
    Output sasl_response(std::string_view line);
    Output sasl_step(auth::sasl::Step step);
    std::vector<auth::sasl::Mechanism> offered_mechanisms() const;
    std::int64_t now() const;
    void note_access(SnapshotIndex index);
    std::uint64_t wire_size(const store::MessageInfo& info) const;
    std::pair<std::size_t, std::uint64_t> live_totals() const;

    SessionSettings settings_;
    SessionState state_ = SessionState::authorization;
    std::optional<std::string> pending_user_;  // after USER, until PASS
    std::unique_ptr<auth::sasl::Exchange> sasl_;  // an AUTH exchange in progress
    std::vector<auth::sasl::ChannelBinding> channel_bindings_;
    bool utf8_ = false;                        // RFC 6856 UTF8 given
    std::optional<unsigned> expire_days_;      // the logged-in user's EXPIRE
    bool awaiting_ = false;                    // a login/update request is out
    unsigned bad_commands_ = 0;
    std::unique_ptr<store::Mailbox> mailbox_;
    std::vector<Entry> snapshot_;
    std::uint32_t highest_accessed_ = 0;  // RFC 1225 LAST
    // RETR/TOP waiting for open_message on the pool.
    struct PendingMessage {
        SnapshotIndex index;
        std::optional<std::uint64_t> top_lines;
    };
    std::optional<PendingMessage> pending_message_;
    SessionStats stats_;

    friend struct CommandTable;
};

} // namespace poplar::protocol
