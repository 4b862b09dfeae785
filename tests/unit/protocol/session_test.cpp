// Session state machine tests, as string transcripts (C: line / S: reply).
#include "session_harness.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace poplar::protocol {
namespace {

using poplar::testing::FakeMailbox;
using protocol::testing::Harness;

Harness with_two_messages() {
    Harness h;
    h.mailbox->add("Subject: one\n\nhello\n");           // 23 octets on the wire
    h.mailbox->add("Subject: two\n\n.dot line\nbye\n");  // 32 octets on the wire
    return h;
}

TEST(Session, GreetingNamesTheHostAndHasApopTimestampOnlyWhenEnabled) {
    SessionSettings settings;
    settings.hostname = "mail.example";
    EXPECT_EQ(Session(settings).greeting(), "+OK mail.example POP3 server ready\r\n");
    settings.apop_timestamp = "<1.2@mail.example>";
    EXPECT_EQ(Session(settings).greeting(), "+OK mail.example POP3 server ready <1.2@mail.example>\r\n");
}

TEST(Session, UserPassLogsInAndReportsTheMaildrop) {
    Harness h = with_two_messages();
    EXPECT_EQ(h.send("USER alice"), "+OK Send PASS\r\n");
    EXPECT_EQ(h.send("PASS secret"), "+OK Logged in, maildrop has 2 messages (55 octets)\r\n");
    EXPECT_EQ(h.session.state(), SessionState::transaction);
    EXPECT_EQ(h.session.stats().user, "alice");
}

TEST(Session, PasswordKeepsItsSpaces) {
    Harness h;
    h.send("USER bob");
    h.send("PASS a b  c ");
    const auto* credentials = std::get_if<auth::PasswordCredentials>(&*h.last_credentials);
    ASSERT_NE(credentials, nullptr);
    EXPECT_EQ(credentials->password, "a b  c ");
}

TEST(Session, WrongPasswordGivesAuthCodeAndStaysInAuthorization) {
    Harness h;
    h.send("USER alice");
    EXPECT_EQ(h.send("PASS nope"), "-ERR [AUTH] Authentication failed: wrong user name or password.\r\n");
    EXPECT_EQ(h.session.state(), SessionState::authorization);
    // RFC 1939: after a failed PASS the client starts again with USER.
    EXPECT_EQ(h.send("PASS secret"), "-ERR Send USER first.\r\n");
    EXPECT_EQ(h.login(), "+OK Logged in, maildrop has 0 messages (0 octets)\r\n");
}

TEST(Session, ThirdFailedLoginClosesTheSession) {
    Harness h;
    for (int i = 0; i < 2; ++i) {
        h.send("USER alice");
        EXPECT_EQ(h.send("PASS nope"), "-ERR [AUTH] Authentication failed: wrong user name or password.\r\n");
        EXPECT_FALSE(h.closed);
    }
    h.send("USER alice");
    EXPECT_EQ(h.send("PASS nope"),
              "-ERR [AUTH] Authentication failed: wrong user name or password. Too many failures; closing "
              "connection.\r\n");
    EXPECT_TRUE(h.closed);
    EXPECT_EQ(h.session.stats().end, EndReason::too_many_bad_commands);
}

TEST(Session, ReleaseEndsTheSessionWithoutAnUpdate) {
    Harness h = with_two_messages();
    h.login();
    h.send("DELE 1");
    h.session.release(EndReason::dropped);
    EXPECT_EQ(h.session.state(), SessionState::closed);
    EXPECT_EQ(h.session.mailbox(), nullptr);
    EXPECT_TRUE(h.updated.empty());
    EXPECT_EQ(h.session.stats().end, EndReason::dropped);
    h.session.release(EndReason::shutdown);  // the first reason stays
    EXPECT_EQ(h.session.stats().end, EndReason::dropped);
}

TEST(Session, LoginFailuresCarryTheirResponseCodes) {
    const std::pair<LoginStatus, std::string> cases[] = {
        {LoginStatus::in_use, "-ERR [IN-USE] "},
        {LoginStatus::temporary_failure, "-ERR [SYS/TEMP] "},
        {LoginStatus::permanent_failure, "-ERR [SYS/PERM] "},
    };
    for (const auto& [status, prefix] : cases) {
        Harness h;
        h.login_status = status;
        EXPECT_EQ(h.login().rfind(prefix, 0), 0u) << prefix;
        EXPECT_EQ(h.session.state(), SessionState::authorization);
    }
}

TEST(Session, ApopIsRefusedWhenNotEnabled) {
    Harness h;
    EXPECT_EQ(h.send("APOP alice " + std::string(32, 'a')), "-ERR APOP is not enabled on this server.\r\n");
}

TEST(Session, ApopSendsTheGreetingTimestampToTheVerifier) {
    SessionSettings settings;
    settings.apop_timestamp = "<7.8@example>";
    Harness h(settings);
    EXPECT_EQ(h.send("APOP alice " + std::string(32, 'a')).rfind("+OK Logged in", 0), 0u);
    const auto* apop = std::get_if<auth::ApopCredentials>(&*h.last_credentials);
    ASSERT_NE(apop, nullptr);
    EXPECT_EQ(apop->timestamp, "<7.8@example>");
    Harness bad(settings);
    EXPECT_EQ(bad.send("APOP alice xyz"), "-ERR APOP digest must be 32 hexadecimal digits.\r\n");
}

TEST(Session, CommandsAreCaseInsensitive) {
    Harness h = with_two_messages();
    h.send("user alice");
    EXPECT_EQ(h.send("pAsS secret").rfind("+OK", 0), 0u);
    EXPECT_EQ(h.send("stat"), "+OK 2 55\r\n");
}

TEST(Session, StatListAndUidl) {
    Harness h = with_two_messages();
    h.login();
    EXPECT_EQ(h.send("STAT"), "+OK 2 55\r\n");
    EXPECT_EQ(h.send("LIST"), "+OK 2 messages (55 octets)\r\n1 23\r\n2 32\r\n.\r\n");
    EXPECT_EQ(h.send("LIST 2"), "+OK 2 32\r\n");
    EXPECT_EQ(h.send("UIDL"), "+OK Unique-ID listing follows\r\n1 uid-1\r\n2 uid-2\r\n.\r\n");
    EXPECT_EQ(h.send("UIDL 1"), "+OK 1 uid-1\r\n");
}

TEST(Session, RetrSendsTheMessageDotStuffedWithItsSize) {
    Harness h = with_two_messages();
    h.login();
    EXPECT_EQ(h.send("RETR 2"), "+OK 32 octets\r\nSubject: two\r\n\r\n..dot line\r\nbye\r\n.\r\n");
    EXPECT_EQ(h.session.stats().retrieved, 1u);
    EXPECT_EQ(h.session.stats().retrieved_octets, 32u);
}

TEST(Session, TopSendsHeadersAndTheAskedLines) {
    Harness h = with_two_messages();
    h.login();
    EXPECT_EQ(h.send("TOP 2 0"), "+OK Top of message follows\r\nSubject: two\r\n\r\n.\r\n");
    EXPECT_EQ(h.send("TOP 2 1"), "+OK Top of message follows\r\nSubject: two\r\n\r\n..dot line\r\n.\r\n");
}

TEST(Session, MessageNumbersAreStrict) {
    Harness h = with_two_messages();
    h.login();
    for (const char* line : {"LIST 0", "LIST 3", "LIST 4294967297", "LIST -1", "LIST +1", "LIST 1x", "LIST 0x1",
                             "RETR", "RETR 1 2", "DELE abc", "TOP 1", "TOP 1 -1", "TOP 1 x", "LIST  1", "UIDL 9"}) {
        EXPECT_EQ(h.send(line).rfind("-ERR ", 0), 0u) << line;
    }
    EXPECT_EQ(h.send("LIST 3"), "-ERR There's no message 3.\r\n");
    EXPECT_EQ(h.send("LIST 1x"), "-ERR Invalid message number.\r\n");
    EXPECT_EQ(h.send("STAT"), "+OK 2 55\r\n");  // nothing changed
}

TEST(Session, DeletedMessagesAreRefusedAndHidden) {
    Harness h = with_two_messages();
    h.login();
    EXPECT_EQ(h.send("DELE 1"), "+OK Message 1 deleted\r\n");
    for (const char* line : {"RETR 1", "TOP 1 0", "LIST 1", "UIDL 1", "DELE 1"}) {
        EXPECT_EQ(h.send(line), "-ERR Message 1 is deleted.\r\n") << line;
    }
    EXPECT_EQ(h.send("STAT"), "+OK 1 32\r\n");
}

TEST(Session, ListAfterDeleteLeavesTheMessageOut) {
    Harness h = with_two_messages();
    h.login();
    h.send("DELE 1");
    EXPECT_EQ(h.send("LIST"), "+OK 1 message (32 octets)\r\n2 32\r\n.\r\n");
    EXPECT_EQ(h.send("UIDL"), "+OK Unique-ID listing follows\r\n2 uid-2\r\n.\r\n");
}

TEST(Session, RsetUnmarksAll) {
    Harness h = with_two_messages();
    h.login();
    h.send("DELE 1");
    h.send("DELE 2");
    EXPECT_EQ(h.send("STAT"), "+OK 0 0\r\n");
    EXPECT_EQ(h.send("RSET"), "+OK Maildrop has 2 messages (55 octets)\r\n");
    EXPECT_EQ(h.send("STAT"), "+OK 2 55\r\n");
}

TEST(Session, QuitAppliesOnlyTheMarks) {
    Harness h = with_two_messages();
    h.login();
    h.send("DELE 2");
    EXPECT_EQ(h.send("QUIT"), "+OK Bye, 1 message deleted, 1 left\r\n");
    ASSERT_EQ(h.updated.size(), 1u);
    EXPECT_EQ(h.updated[0].value, "m2");
    EXPECT_TRUE(h.closed);
    EXPECT_EQ(h.session.state(), SessionState::closed);
    EXPECT_EQ(h.session.stats().deleted, 1u);
    EXPECT_EQ(h.session.stats().end, EndReason::quit);
}

TEST(Session, QuitWithoutMarksAsksForNoUpdate) {
    Harness h = with_two_messages();
    h.login();
    EXPECT_EQ(h.send("QUIT"), "+OK Bye, 2 messages (55 octets) left\r\n");
    EXPECT_TRUE(h.updated.empty());
}

TEST(Session, QuitReportsMessagesThatCouldNotBeRemoved) {
    Harness h = with_two_messages();
    h.login();
    h.mailbox->failing.insert("m1");
    h.send("DELE 1");
    EXPECT_EQ(h.send("QUIT"), "-ERR [SYS/TEMP] Some deleted messages not removed (1 of 1).\r\n");
}

TEST(Session, QuitBeforeLoginClosesWithoutUpdate) {
    Harness h;
    EXPECT_EQ(h.send("QUIT"), "+OK Bye\r\n");
    EXPECT_TRUE(h.closed);
}

TEST(Session, LastFollowsRetrAndDeleNotTopAndRsetClearsIt) {
    Harness h = with_two_messages();
    h.login();
    EXPECT_EQ(h.send("LAST"), "+OK 0\r\n");
    h.send("TOP 2 0");
    EXPECT_EQ(h.send("LAST"), "+OK 0\r\n");
    h.send("RETR 1");
    EXPECT_EQ(h.send("LAST"), "+OK 1\r\n");
    h.send("DELE 2");
    EXPECT_EQ(h.send("LAST"), "+OK 2\r\n");
    h.send("RSET");
    EXPECT_EQ(h.send("LAST"), "+OK 0\r\n");
}

TEST(Session, LastCanBeSwitchedOff) {
    SessionSettings settings;
    settings.last_command = false;
    Harness h(settings);
    h.login();
    EXPECT_EQ(h.send("LAST"), "-ERR Unknown command: LAST\r\n");
}

TEST(Session, EveryCommandInTheWrongStateIsRefusedAndChangesNothing) {
    for (const char* line : {"STAT", "LIST", "UIDL", "RETR 1", "TOP 1 0", "DELE 1", "NOOP", "RSET", "LAST"}) {
        Harness h;
        h.mailbox->add("x\n");
        EXPECT_EQ(h.send(line).rfind("-ERR ", 0), 0u) << line;
        EXPECT_EQ(h.session.state(), SessionState::authorization) << line;
    }
    Harness h = with_two_messages();
    h.login();
    EXPECT_EQ(h.send("USER bob"), "-ERR USER is not valid after login.\r\n");
    EXPECT_EQ(h.send("PASS x"), "-ERR PASS is not valid after login.\r\n");
    EXPECT_EQ(h.send("APOP bob " + std::string(32, 'a')), "-ERR APOP is not valid after login.\r\n");
    EXPECT_EQ(h.session.state(), SessionState::transaction);
    EXPECT_EQ(h.session.stats().user, "alice");
}

TEST(Session, CapaListsExactlyWhatIsOffered) {
    // No SASL mechanism, no TLS, no LOGIN-DELAY configured: none listed.
    Harness h;
    EXPECT_EQ(h.send("CAPA"),
              "+OK Capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
              "EXPIRE NEVER USER\r\nUTF8 USER\r\nLANG\r\nIMPLEMENTATION poplar\r\n.\r\n");
    h.login();
    // After login: this user's EXPIRE, without USER; UTF8 only matters before login.
    EXPECT_EQ(h.send("CAPA"),
              "+OK Capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
              "EXPIRE NEVER\r\nLANG\r\nIMPLEMENTATION poplar\r\n.\r\n");
}

TEST(Session, ThreeBadCommandsBeforeLoginEndTheSession) {
    Harness h;
    EXPECT_EQ(h.send("FOO"), "-ERR Unknown command: FOO\r\n");
    EXPECT_EQ(h.send("STAT"), "-ERR STAT is not valid before login.\r\n");
    EXPECT_FALSE(h.closed);
    EXPECT_EQ(h.send("BAR"), "-ERR Unknown command: BAR Too many bad commands; closing connection.\r\n");
    EXPECT_TRUE(h.closed);
    EXPECT_EQ(h.session.stats().end, EndReason::too_many_bad_commands);
}

TEST(Session, TwentyBadCommandsAfterLoginEndTheSession) {
    Harness h = with_two_messages();
    h.send("NOPE");  // one before login: the count starts again at login
    h.login();
    for (int i = 0; i < 19; ++i) {
        h.send("LIST 99");
        ASSERT_FALSE(h.closed) << i;
    }
    h.send("LIST 99");
    EXPECT_TRUE(h.closed);
}

TEST(Session, NulAndEmptyLinesAreBadCommands) {
    Harness h;
    EXPECT_EQ(h.send(std::string_view("US\0ER a", 7)), "-ERR NUL byte in command.\r\n");
    EXPECT_EQ(h.send(""), "-ERR Empty command.\r\n");
}

TEST(Session, VanishedOrUnreadableMessagesGiveErrAndTheSessionGoesOn) {
    Harness h = with_two_messages();
    h.login();
    h.mailbox->vanish("m1");
    EXPECT_EQ(h.send("RETR 1"), "-ERR Message 1 was removed by another program.\r\n");
    h.mailbox->unreadable.insert("m2");
    EXPECT_EQ(h.send("TOP 2 0"), "-ERR [SYS/TEMP] Message 2 cannot be read right now; try again later.\r\n");
    EXPECT_EQ(h.send("NOOP"), "+OK\r\n");
    EXPECT_EQ(h.session.stats().retrieved, 0u);
}

TEST(Session, AMovedMessageIsSearchedForOffTheIoThreadAndThenSent) {
    Harness h = with_two_messages();
    h.login();
    h.mailbox->moved.insert("m2");
    EXPECT_EQ(h.send("RETR 1"), "+OK 23 octets\r\nSubject: one\r\n\r\nhello\r\n.\r\n");
    EXPECT_TRUE(h.searched.empty());  // found where the snapshot saw it
    EXPECT_EQ(h.send("RETR 2"), "+OK 32 octets\r\nSubject: two\r\n\r\n..dot line\r\nbye\r\n.\r\n");
    ASSERT_EQ(h.searched.size(), 1u);
    EXPECT_EQ(h.searched[0].value, "m2");
    EXPECT_EQ(h.send("LAST"), "+OK 2\r\n");
    EXPECT_EQ(h.session.stats().retrieved, 2u);
    EXPECT_EQ(h.send("TOP 2 0"), "+OK Top of message follows\r\nSubject: two\r\n\r\n.\r\n");
    EXPECT_EQ(h.searched.size(), 2u);
}

TEST(Session, AMovedMessageThatIsGoneOrUnreadableGivesErrAndTheSessionGoesOn) {
    Harness h = with_two_messages();
    h.login();
    h.mailbox->moved.insert("m1");
    h.mailbox->vanish("m1");
    EXPECT_EQ(h.send("RETR 1"), "-ERR Message 1 was removed by another program.\r\n");
    h.mailbox->moved.insert("m2");
    h.mailbox->unreadable.insert("m2");
    EXPECT_EQ(h.send("TOP 2 1"), "-ERR [SYS/TEMP] Message 2 cannot be read right now; try again later.\r\n");
    EXPECT_EQ(h.send("NOOP"), "+OK\r\n");
    EXPECT_EQ(h.session.stats().retrieved, 0u);
    EXPECT_EQ(h.send("LAST"), "+OK 0\r\n");
}

TEST(Session, LineTooLongAndIdleTimeoutCloseWithoutUpdate) {
    Harness h = with_two_messages();
    h.login();
    h.send("DELE 1");
    EXPECT_EQ(h.drain(h.session.on_line_too_long()), "-ERR Line too long; closing connection.\r\n");
    EXPECT_TRUE(h.closed);
    // No update request was made: the marks die with the session (the
    // mailbox itself is released, so it cannot be asked).
    EXPECT_TRUE(h.updated.empty());
    EXPECT_EQ(h.session.mailbox(), nullptr);

    Harness idle = with_two_messages();
    idle.login();
    idle.send("DELE 1");
    EXPECT_EQ(idle.drain(idle.session.on_idle_timeout()), "");  // RFC 1939 section 3: no reply
    EXPECT_TRUE(idle.closed);
    EXPECT_EQ(idle.session.stats().end, EndReason::idle_timeout);
    EXPECT_TRUE(idle.updated.empty());
    EXPECT_EQ(idle.session.mailbox(), nullptr);
}

TEST(Session, LongListingsComeInBoundedChunks) {
    Harness h;
    for (int i = 0; i < 5000; ++i) h.mailbox->add("x\n");
    h.login();
    Output output = h.session.on_line("UIDL");
    ASSERT_TRUE(output.body);
    std::size_t chunks = 0;
    std::string chunk;
    bool more = true;
    while (more) {
        chunk.clear();
        more = output.body->next(chunk);
        EXPECT_LE(chunk.size(), max_body_chunk);
        ++chunks;
    }
    EXPECT_GT(chunks, 1u);
}

} // namespace
} // namespace poplar::protocol
