// LmtpSession as string transcripts, driven the way the network layer drives it:
// a scripted passwd-file and scripted delivery results.
#include "protocol/lmtp_command.hpp"
#include "protocol/lmtp_session.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace poplar::protocol {
namespace {

class LmtpHarness {
public:
    explicit LmtpHarness(LmtpSettings settings = with_host()) : session(std::move(settings)) {
        users = {{"alice", ok("alice")}, {"bob@example.org", ok("bob@example.org")}, {"carol", ok("carol")}};
    }

    static LmtpSettings with_host() {
        LmtpSettings settings;
        settings.hostname = "mx.test";
        return settings;
    }

    static auth::UserSearch ok(std::string name) {
        auth::UserSearch found{auth::UserSearch::Status::found, {}, {}};
        found.user.name = std::move(name);
        return found;
    }

    // One command line; everything the client reads in reply.
    std::string send(std::string_view line) { return drain(session.on_line(line)); }

    // DATA bytes; the replies once the terminator is read.
    std::string data(std::string_view bytes) {
        std::string wire;
        while (!bytes.empty()) {
            LmtpDataStep step = session.on_data(bytes);
            stored += step.content;
            bytes.remove_prefix(step.consumed);
            if (step.end) {
                leftover = std::string(bytes);
                return wire + drain(std::move(*step.end));
            }
        }
        return wire;
    }

    std::string drain(LmtpOutput output) {
        std::string wire = output.text;
        closed = closed || output.close;
        if (output.lookup) {
            looked_up.push_back(output.lookup->names);
            auth::UserSearch found{passwd_broken ? auth::UserSearch::Status::unavailable
                                                 : auth::UserSearch::Status::unknown,
                                   {}, "cannot open"};
            for (const auto& name : output.lookup->names) {
                if (passwd_broken) break;
                if (const auto it = users.find(name); it != users.end()) {
                    found = it->second;
                    break;
                }
            }
            wire += drain(session.on_recipient_lookup(found));
        }
        if (output.start_data) {
            data_recipients.clear();
            for (const auto& r : *output.start_data) data_recipients.push_back(r.user.name);
            stored.clear();
        }
        if (output.deliver) {
            std::vector<store::DeliveryStatus> results;
            for (const auto& user : data_recipients) {
                const auto it = outcome.find(user);
                results.push_back(it == outcome.end() ? store::DeliveryStatus::ok : it->second);
                if (results.back() == store::DeliveryStatus::ok) delivered.push_back(user);
            }
            wire += drain(session.on_delivered(results));
        }
        discarded = discarded || output.discard;
        return wire;
    }

    LmtpSession session;
    std::map<std::string, auth::UserSearch> users;
    std::map<std::string, store::DeliveryStatus> outcome;  // user -> result of their delivery
    bool passwd_broken = false;
    std::vector<std::vector<std::string>> looked_up;
    std::vector<std::string> data_recipients;
    std::vector<std::string> delivered;
    std::string stored;
    std::string leftover;
    bool closed = false;
    bool discarded = false;
};

const std::string lhlo_reply =
    "250-mx.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE 0\r\n";

TEST(LmtpSession, GreetingAndLhlo) {
    LmtpHarness h;
    EXPECT_EQ(h.session.greeting(), "220 mx.test LMTP poplar ready\r\n");
    EXPECT_EQ(h.send("LHLO mta.example.org"), lhlo_reply);
    EXPECT_EQ(h.send("lhlo again"), lhlo_reply);  // case-insensitive, and allowed again
    EXPECT_EQ(h.send("LHLO"), "501 5.5.4 Syntax: LHLO hostname\r\n");
    EXPECT_EQ(h.send("QUIT"), "221 2.0.0 mx.test Bye\r\n");
    EXPECT_TRUE(h.closed);
}

TEST(LmtpSession, SizeIsAnnounced) {
    LmtpSettings settings = LmtpHarness::with_host();
    settings.max_message_size = 10000;
    LmtpHarness h(settings);
    EXPECT_TRUE(h.send("LHLO x").ends_with("250 SIZE 10000\r\n"));
}

TEST(LmtpSession, OneDeliveryEndToEnd) {
    LmtpHarness h;
    h.send("LHLO x");
    EXPECT_EQ(h.send("MAIL FROM:<sender@example.net> BODY=8BITMIME SIZE=100"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(h.send("RCPT TO:<alice@example.org>"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(h.looked_up.back(), (std::vector<std::string>{"alice@example.org", "alice"}));
    EXPECT_EQ(h.send("DATA"), "354 Start mail input; end with <CRLF>.<CRLF>\r\n");
    EXPECT_EQ(h.session.state(), LmtpState::data);
    EXPECT_EQ(h.data("Subject: hi\r\n\r\n..dot\r\nbody\r\n.\r\nNOOP\r\n"), "250 2.0.0 <alice@example.org> Delivered\r\n");
    EXPECT_EQ(h.stored, "Return-Path: <sender@example.net>\r\nSubject: hi\r\n\r\n.dot\r\nbody\r\n");
    EXPECT_EQ(h.leftover, "NOOP\r\n");
    EXPECT_EQ(h.delivered, (std::vector<std::string>{"alice"}));
    EXPECT_EQ(h.session.state(), LmtpState::ready);
    EXPECT_EQ(h.session.stats().delivered, 1u);
    // The next transaction starts afresh.
    EXPECT_EQ(h.send("DATA"), "503 5.5.1 Need MAIL and RCPT commands first\r\n");
}

TEST(LmtpSession, OneReplyPerRecipientInRcptOrderAndATemporaryFailureStaysWithItsRecipient) {
    LmtpHarness h;
    h.outcome["carol"] = store::DeliveryStatus::temporary;
    h.send("LHLO x");
    h.send("MAIL FROM:<>");
    EXPECT_EQ(h.send("RCPT TO:<bob@example.org>"), "250 2.1.5 Ok\r\n");  // the full address is a user
    EXPECT_EQ(h.send("RCPT TO:<nobody@example.org>"), "550 5.1.1 <nobody@example.org> User unknown\r\n");
    EXPECT_EQ(h.send("RCPT TO:<carol@example.org>"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(h.send("RCPT TO:<alice>"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(h.looked_up[3], (std::vector<std::string>{"alice"}));
    h.send("DATA");
    EXPECT_EQ(h.data("Subject: x\r\n\r\n.\r\n"),
              "250 2.0.0 <bob@example.org> Delivered\r\n"
              "451 4.3.0 <carol@example.org> Cannot store the message now, try again later\r\n"
              "250 2.0.0 <alice> Delivered\r\n");
    EXPECT_TRUE(h.stored.starts_with("Return-Path: <>\r\n"));
    EXPECT_EQ(h.delivered, (std::vector<std::string>{"bob@example.org", "alice"}));
}

TEST(LmtpSession, UnreadablePasswdFileIsTemporary) {
    LmtpHarness h;
    h.passwd_broken = true;
    h.send("LHLO x");
    h.send("MAIL FROM:<a@b>");
    EXPECT_EQ(h.send("RCPT TO:<alice@example.org>"),
              "451 4.3.0 <alice@example.org> Cannot look the user up now, try again later\r\n");
    EXPECT_EQ(h.send("DATA"), "503 5.5.1 No valid recipients\r\n");
}

TEST(LmtpSession, SizeLimit) {
    LmtpSettings settings = LmtpHarness::with_host();
    settings.max_message_size = 20;
    LmtpHarness h(settings);
    h.send("LHLO x");
    EXPECT_EQ(h.send("MAIL FROM:<a@b> SIZE=21"), "552 5.3.4 Message too big (the limit is 20 octets)\r\n");
    EXPECT_EQ(h.send("MAIL FROM:<a@b> SIZE=x"), "501 5.5.4 Syntax: SIZE=octets\r\n");
    EXPECT_EQ(h.send("MAIL FROM:<a@b> SIZE=99999999999999999999999"), "501 5.5.4 Syntax: SIZE=octets\r\n");
    EXPECT_EQ(h.send("MAIL FROM:<a@b> SIZE=20"), "250 2.1.0 Ok\r\n");
    h.send("RCPT TO:<alice>");
    h.send("RCPT TO:<carol>");
    h.send("DATA");
    // 20 octets pass (CRLF counted, Return-Path not); 21 do not.
    EXPECT_EQ(h.data("Subject: 1234567\r\n\r\n.\r\n"), "250 2.0.0 <alice> Delivered\r\n250 2.0.0 <carol> Delivered\r\n");
    h.send("MAIL FROM:<a@b>");
    h.send("RCPT TO:<alice>");
    h.send("RCPT TO:<carol>");
    h.send("DATA");
    EXPECT_EQ(h.data("Subject: 12345678\r\n\r\n" + std::string(5000, 'x') + "\r\n.\r\n"),
              "552 5.3.4 <alice> Message too big (the limit is 20 octets)\r\n"
              "552 5.3.4 <carol> Message too big (the limit is 20 octets)\r\n");
    EXPECT_TRUE(h.discarded);
    EXPECT_LE(h.stored.size(), 60u);  // what passed the limit was never handed out
    EXPECT_EQ(h.session.state(), LmtpState::ready);
}

TEST(LmtpSession, BadSequences) {
    LmtpHarness h;
    EXPECT_EQ(h.send("MAIL FROM:<a@b>"), "503 5.5.1 Send LHLO first\r\n");
    EXPECT_EQ(h.send("RCPT TO:<alice>"), "503 5.5.1 Send LHLO first\r\n");
    EXPECT_EQ(h.send("NOOP"), "250 2.0.0 Ok\r\n");
    EXPECT_EQ(h.send("RSET"), "250 2.0.0 Ok\r\n");
    h.send("LHLO x");
    EXPECT_EQ(h.send("RCPT TO:<alice>"), "503 5.5.1 Need MAIL command first\r\n");
    EXPECT_EQ(h.send("DATA"), "503 5.5.1 Need MAIL and RCPT commands first\r\n");
    h.send("MAIL FROM:<a@b>");
    EXPECT_EQ(h.send("MAIL FROM:<a@b>"), "503 5.5.1 Nested MAIL command\r\n");
    EXPECT_EQ(h.send("DATA"), "503 5.5.1 No valid recipients\r\n");
    h.send("RCPT TO:<alice>");
    EXPECT_EQ(h.send("RSET"), "250 2.0.0 Ok\r\n");
    EXPECT_EQ(h.send("DATA"), "503 5.5.1 Need MAIL and RCPT commands first\r\n");
    EXPECT_EQ(h.send("HELO x"), "500 5.5.1 Command unrecognized\r\n");
    EXPECT_EQ(h.send("EHLO x"), "500 5.5.1 Command unrecognized\r\n");
    EXPECT_EQ(h.send("VRFY alice"), "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n");
    EXPECT_EQ(h.send("DATA x"), "503 5.5.1 Need MAIL and RCPT commands first\r\n");
    EXPECT_EQ(h.send(std::string("NOOP\0x", 6)), "500 5.5.2 Line contains a NUL octet\r\n");
    EXPECT_EQ(h.session.on_line_too_long().text, "500 5.5.2 Line too long\r\n");
}

TEST(LmtpSession, BadArguments) {
    LmtpHarness h;
    h.send("LHLO x");
    for (const char* bad : {"MAIL", "MAIL FROM:", "MAIL FROM:a@b", "MAIL TO:<a@b>", "MAIL FROM:<a@b", "MAIL FROM:<a@b>x",
                            "MAIL FROM:<a\x01@b>", "MAIL FROM:<\xc3\xa9@b>"}) {
        EXPECT_EQ(h.send(bad), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n") << bad;
    }
    EXPECT_EQ(h.send("MAIL FROM:<a@b> BODY=BINARYMIME"), "501 5.5.4 Syntax: BODY=7BIT or BODY=8BITMIME\r\n");
    EXPECT_EQ(h.send("MAIL FROM:<a@b> SMTPUTF8"), "555 5.5.4 Unsupported MAIL parameter\r\n");
    EXPECT_EQ(h.send("MAIL FROM: <a@b>"), "250 2.1.0 Ok\r\n");  // a space after the colon: a leniency
    EXPECT_EQ(h.send("RCPT TO:<>"), "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
    EXPECT_EQ(h.send("RCPT TO:<alice> NOTIFY=NEVER"), "555 5.5.4 Unsupported RCPT parameter\r\n");
    EXPECT_EQ(h.send("RCPT TO:<@relay.example,@other.example:alice@example.org>"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(h.looked_up.back(), (std::vector<std::string>{"alice@example.org", "alice"}));
    EXPECT_EQ(h.send("rcpt to:<\"carol\"@example.org>"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(h.looked_up.back(), (std::vector<std::string>{"carol@example.org", "carol"}));
}

TEST(LmtpSession, TooManyBadCommandsCloses) {
    LmtpSettings settings = LmtpHarness::with_host();
    settings.max_bad_commands = 3;
    LmtpHarness h(settings);
    EXPECT_EQ(h.send("BOGUS"), "500 5.5.1 Command unrecognized\r\n");
    EXPECT_EQ(h.send("MAIL FROM:<a@b>"), "503 5.5.1 Send LHLO first\r\n");
    EXPECT_EQ(h.send("BOGUS"), "421 4.7.0 mx.test Too many bad commands, closing connection\r\n");
    EXPECT_TRUE(h.closed);
}

TEST(LmtpSession, TooManyRecipients) {
    LmtpSettings settings = LmtpHarness::with_host();
    settings.max_recipients = 2;
    LmtpHarness h(settings);
    h.send("LHLO x");
    h.send("MAIL FROM:<a@b>");
    EXPECT_EQ(h.send("RCPT TO:<alice>"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(h.send("RCPT TO:<carol>"), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(h.send("RCPT TO:<alice>"), "452 4.5.3 Too many recipients\r\n");
}

TEST(LmtpSession, DataSplitAtEveryOffsetStoresTheSame) {
    const std::string wire = "Subject: s\r\n\r\n..a\r\n.\r\r\nb\r\n.\r\n";
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
        LmtpHarness h;
        h.send("LHLO x");
        h.send("MAIL FROM:<a@b>");
        h.send("RCPT TO:<alice>");
        h.send("DATA");
        std::string replies = h.data(wire.substr(0, cut));
        replies += h.data(wire.substr(cut));
        EXPECT_EQ(replies, "250 2.0.0 <alice> Delivered\r\n") << cut;
        EXPECT_EQ(h.stored, "Return-Path: <a@b>\r\nSubject: s\r\n\r\n.a\r\n\r\r\nb\r\n") << cut;
    }
}

TEST(LmtpSession, TimeoutAndShutdownSay421) {
    LmtpHarness h;
    EXPECT_EQ(h.session.on_idle_timeout(), "421 4.4.2 mx.test Timeout, closing connection\r\n");
    LmtpHarness g;
    EXPECT_EQ(g.session.on_shutdown(), "421 4.3.2 mx.test Shutting down, try again later\r\n");
}

TEST(LmtpCommand, RecipientCandidates) {
    EXPECT_EQ(recipient_candidates("alice@example.org"), (std::vector<std::string>{"alice@example.org", "alice"}));
    EXPECT_EQ(recipient_candidates("postmaster"), (std::vector<std::string>{"postmaster"}));
    EXPECT_EQ(recipient_candidates("a@b@c"), (std::vector<std::string>{"a@b@c", "a@b"}));
    EXPECT_EQ(recipient_candidates("@c"), (std::vector<std::string>{"@c"}));
}

TEST(LmtpCommand, PathArguments) {
    const auto quoted = parse_path_argument("TO:<\"a b\\\"c\"@x> ", "TO:");
    ASSERT_TRUE(quoted);
    EXPECT_EQ(quoted->address, "a b\"c@x");
    EXPECT_EQ(quoted->path, "\"a b\\\"c\"@x");
    const auto params = parse_path_argument("FROM:<a@b> size=10  body=8bitmime", "FROM:");
    ASSERT_TRUE(params);
    ASSERT_EQ(params->params.size(), 2u);
    EXPECT_EQ(params->params[0], (std::pair<std::string, std::string>{"SIZE", "10"}));
    EXPECT_EQ(params->params[1], (std::pair<std::string, std::string>{"BODY", "8bitmime"}));
    EXPECT_FALSE(parse_path_argument("TO:<" + std::string(300, 'a') + ">", "TO:"));
    EXPECT_FALSE(parse_path_argument("TO:<\"open@x>", "TO:"));
    EXPECT_FALSE(parse_path_argument("TO:<a<b@x>", "TO:"));
    EXPECT_FALSE(parse_path_argument("TO:<@a,@b>", "TO:"));
    EXPECT_FALSE(parse_path_argument("FROM:<a@b> =1", "FROM:"));
}

} // namespace
} // namespace poplar::protocol
