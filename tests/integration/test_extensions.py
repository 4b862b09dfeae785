"""RFC 2449 LOGIN-DELAY and EXPIRE, and RFC 6856 UTF8 and LANG, through the
wire: what CAPA announces, what the server enforces, and what it leaves in the
Maildir (poplar-last-login, poplar-retrieved), by raw socket and by poplib."""

import base64
import email.header
import email.parser
import os
import poplib
import re
import time
import unittest

from poplar_fixture import PoplarTestCase, PopClient, TIMEOUT, wire_bytes

DAY = 86400


def capa_lines(c: PopClient) -> list[str]:
    status, body = c.multi("CAPA")
    assert status.startswith("+OK"), status
    return body.decode().split("\r\n")[:-1]


def read_records(path: str) -> dict[str, int]:
    """poplar-retrieved as {basename: unix-seconds}; the first line for a name wins."""
    records: dict[str, int] = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                name, seconds = line.split()
                records.setdefault(name, int(seconds))
    return records


# --- LOGIN-DELAY ----------------------------------------------------------------------

class LoginDelayTest(PoplarTestCase):

    def setUp(self):
        super().setUp()
        self.md = self.maildir("alice")
        self.md.deliver(b"Subject: hi\n\nhello\n")
        self.last_login = os.path.join(self.md.path, "poplar-last-login")

    def login_and_quit(self, server, user="alice", password="secret1") -> str:
        """The PASS reply; QUIT follows a successful login."""
        c = PopClient(server.port)
        try:
            self.assertOk(c.cmd(f"USER {user}"))
            reply = c.cmd(f"PASS {password}")
            if reply.startswith("+OK"):
                self.assertOk(c.cmd("QUIT"))
            return reply
        finally:
            c.close()

    def test_capa_announces_login_delay_only_when_set(self):
        server = self.start_server()
        self.assertFalse([l for l in capa_lines(self.connect(server)) if l.startswith("LOGIN-DELAY")])
        delayed = self.start_server(login_delay="60s")
        c = self.connect(delayed)
        self.assertIn("LOGIN-DELAY 60", capa_lines(c))
        c.login("alice", "secret1")
        self.assertIn("LOGIN-DELAY 60", capa_lines(c))

    def test_second_login_refused_also_after_a_restart(self):
        server = self.start_server(login_delay="60s")
        before = int(time.time())
        self.assertOk(self.login_and_quit(server))
        with open(self.last_login) as f:
            recorded = int(f.read())
        self.assertTrue(before <= recorded <= time.time(), recorded)

        reply = self.login_and_quit(server)
        self.assertTrue(reply.startswith("-ERR [LOGIN-DELAY] "), reply)
        server.log.wait_for(r"login refused user=alice ip=127\.0\.0\.1 reason=login-delay")
        with open(self.last_login) as f:
            self.assertEqual(int(f.read()), recorded, "a refused login does not restart the clock")
        self.assertOk(self.login_and_quit(server, "bob", "secret2"), "the delay is per user")

        # A new server on the same Maildir reads the time back from the file.
        self.assertEqual(server.terminate(), 0, server.log.text())
        again = self.start_server(config_path=server.config_path)
        reply = self.login_and_quit(again)
        self.assertTrue(reply.startswith("-ERR [LOGIN-DELAY] "), reply)

    def test_sasl_login_is_delayed_too(self):
        server = self.start_server(login_delay="60s")
        self.assertOk(self.login_and_quit(server))
        c = self.connect(server)
        reply = c.cmd("AUTH PLAIN " + base64.b64encode(b"\0alice\0secret1").decode())
        self.assertTrue(reply.startswith("-ERR [LOGIN-DELAY] "), reply)

    def test_wrong_password_does_not_reveal_the_delay(self):
        server = self.start_server(login_delay="60s")
        self.assertOk(self.login_and_quit(server))
        reply = self.login_and_quit(server, password="wrong")
        self.assertTrue(reply.startswith("-ERR [AUTH] "), reply)
        reply = self.login_and_quit(server, user="nosuchuser", password="wrong")
        self.assertTrue(reply.startswith("-ERR [AUTH] "), reply)

    def test_login_long_enough_after_the_last_is_allowed(self):
        with open(self.last_login, "w") as f:
            f.write(f"{int(time.time()) - 61}\n")
        server = self.start_server(login_delay="60s")
        self.assertOk(self.login_and_quit(server))
        with open(self.last_login) as f:
            self.assertGreaterEqual(int(f.read()), int(time.time()) - 5, "the new login is recorded")

    def test_no_delay_configured_allows_back_to_back_logins(self):
        server = self.start_server()
        for _ in range(3):
            self.assertOk(self.login_and_quit(server))

    def test_poplib_sees_login_delay(self):
        server = self.start_server(login_delay="60s")
        p = poplib.POP3("127.0.0.1", server.port, timeout=TIMEOUT)
        try:
            self.assertEqual(p.capa()["LOGIN-DELAY"], ["60"])
            p.user("alice")
            p.pass_("secret1")
            p.quit()
        finally:
            p.close()
        p = poplib.POP3("127.0.0.1", server.port, timeout=TIMEOUT)
        try:
            p.user("alice")
            with self.assertRaisesRegex(poplib.error_proto, r"\[LOGIN-DELAY\]"):
                p.pass_("secret1")
        finally:
            p.close()


# --- EXPIRE ---------------------------------------------------------------------------

class ExpireTest(PoplarTestCase):

    # Extra passwd-file fields (the 8th field), per user.
    EXTRA = {"alice": "", "bob": ""}

    def write_passwd(self):
        with open(self.passwd_path, "w") as f:
            for i, (user, secret) in enumerate(self.users.items()):
                f.write(f"{user}:{secret}:{1000 + i}:{1000 + i}::/home/{user}::{self.EXTRA.get(user, '')}\n")

    def setUp(self):
        super().setUp()
        self.md = self.maildir("alice")
        self.uids = [self.md.deliver(f"Subject: message {i}\n\nbody {i}\n".encode()) for i in range(1, 5)]
        self.record = os.path.join(self.md.path, "poplar-retrieved")

    def write_record(self, ages_in_days: dict[int, float]):
        """poplar-retrieved with message n (1-based) first retrieved that many days ago."""
        now = int(time.time())
        with open(self.record, "w") as f:
            for n, days in ages_in_days.items():
                f.write(f"{self.uids[n - 1]} {now - int(days * DAY)}\n")

    def session(self, server, commands=(), quit=True) -> PopClient:
        c = self.connect(server)
        c.login("alice", "secret1")
        for command in commands:
            status = c.cmd(command)
            self.assertOk(status, command)
            if command.startswith(("RETR", "TOP")):
                c.read_multiline()
        if quit:
            self.assertOk(c.cmd("QUIT"))
            self.assertTrue(c.at_eof())
        return c

    def test_default_is_never(self):
        server = self.start_server()
        c = self.connect(server)
        self.assertIn("EXPIRE NEVER USER", capa_lines(c))
        c.login("alice", "secret1")
        self.assertIn("EXPIRE NEVER", capa_lines(c))
        self.assertOk(c.cmd("QUIT"))
        self.write_record({1: 10000})
        self.session(server, ["RETR 2"])
        self.assertEqual(self.md.uids(), set(self.uids))

    def test_expire_0_removes_what_was_retrieved_at_quit(self):
        server = self.start_server(expire="0")
        c = self.connect(server)
        self.assertIn("EXPIRE 0 USER", capa_lines(c))
        c.close()
        self.session(server, ["RETR 1", "TOP 2 0"])
        self.assertEqual(self.md.uids(), set(self.uids) - {self.uids[0]}, "TOP is not a retrieval")
        server.log.wait_for(r"session end user=alice .*retrieved=1 .*deleted=1 reason=quit")

    def test_expire_0_without_quit_removes_nothing(self):
        server = self.start_server(expire="0")
        c = self.session(server, ["RETR 1", "RETR 2"], quit=False)
        c.close()
        server.log.wait_for(r"session end user=alice .*reason=dropped")
        self.assertEqual(self.md.uids(), set(self.uids))
        self.assertEqual(read_records(self.record), {}, "nothing is recorded without UPDATE")

    def test_expire_7_removes_messages_first_retrieved_8_days_ago(self):
        self.write_record({1: 8, 2: 6})
        server = self.start_server(expire="7")
        c = self.session(server, quit=False)
        self.assertIn("EXPIRE 7", capa_lines(c))
        self.assertOk(c.cmd("QUIT"))
        self.assertEqual(self.md.uids(), set(self.uids) - {self.uids[0]})

    def test_expire_boundary_is_n_times_86400_seconds(self):
        now = int(time.time())
        with open(self.record, "w") as f:
            f.write(f"{self.uids[0]} {now - 7 * DAY - 5}\n")     # just past 7 days: goes
            f.write(f"{self.uids[1]} {now - 7 * DAY + 300}\n")   # 5 minutes short: stays
            f.write(f"{self.uids[2]} {now + DAY}\n")             # in the future (clock moved): stays
        server = self.start_server(expire="7")
        self.session(server)
        self.assertEqual(self.md.uids(), set(self.uids) - {self.uids[0]})

    def test_expire_7_without_quit_removes_nothing(self):
        self.write_record({1: 8})
        server = self.start_server(expire="7")
        c = self.session(server, ["LIST"], quit=False)
        c.read_multiline()
        c.close()
        server.log.wait_for(r"session end user=alice .*reason=dropped")
        self.assertEqual(self.md.uids(), set(self.uids))

    def test_retr_and_quit_record_the_first_retrieval(self):
        old = int(time.time()) - 1000
        with open(self.record, "w") as f:
            f.write(f"{self.uids[2]} {old}\n")
        server = self.start_server()
        before = int(time.time())
        self.session(server, ["RETR 2", "RETR 3", "TOP 4 1"])
        after = int(time.time())
        records = read_records(self.record)
        self.assertEqual(set(records), {self.uids[1], self.uids[2]}, "RETR is recorded, TOP is not")
        self.assertTrue(before <= records[self.uids[1]] <= after, records)
        self.assertEqual(records[self.uids[2]], old, "a first retrieval is never overwritten")
        with open(self.record) as f:
            for line in f:
                self.assertRegex(line, r"^\S+ \d+\n$")

    def test_per_user_expire_days(self):
        self.EXTRA = {"alice": "pop3_expire_days=3", "bob": "userdb_other=x"}
        self.write_passwd()
        self.write_record({1: 4, 2: 2})
        server = self.start_server()
        c = self.connect(server)
        self.assertIn("EXPIRE NEVER USER", capa_lines(c), "before login: the server's default")
        c.login("alice", "secret1")
        self.assertIn("EXPIRE 3", capa_lines(c))
        self.assertOk(c.cmd("QUIT"))
        self.assertEqual(self.md.uids(), set(self.uids) - {self.uids[0]})
        b = self.connect(server)
        b.login("bob", "secret2")
        self.assertIn("EXPIRE NEVER", capa_lines(b))

    def test_per_user_expire_overrides_server_expire(self):
        self.EXTRA = {"alice": "pop3_expire_days=never"}
        self.write_passwd()
        self.write_record({1: 100})
        server = self.start_server(expire="7")
        c = self.connect(server)
        self.assertIn("EXPIRE 7 USER", capa_lines(c))
        c.login("alice", "secret1")
        self.assertIn("EXPIRE NEVER", capa_lines(c))
        self.assertOk(c.cmd("QUIT"))
        self.assertEqual(self.md.uids(), set(self.uids))
        b = self.connect(server)
        b.login("bob", "secret2")
        self.assertIn("EXPIRE 7", capa_lines(b))

    def test_invalid_per_user_expire_falls_back_and_is_logged(self):
        self.EXTRA = {"alice": "pop3_expire_days=soon"}
        self.write_passwd()
        server = self.start_server(expire="5")
        c = self.connect(server)
        c.login("alice", "secret1")
        self.assertIn("EXPIRE 5", capa_lines(c))
        server.log.wait_for(r"passwd-file user=alice has pop3_expire_days=soon")

    def test_poplib_capa(self):
        server = self.start_server(expire="30")
        p = poplib.POP3("127.0.0.1", server.port, timeout=TIMEOUT)
        try:
            self.assertEqual(p.capa()["EXPIRE"], ["30", "USER"])
            p.user("alice")
            p.pass_("secret1")
            self.assertEqual(p.capa()["EXPIRE"], ["30"])
            p.quit()
        finally:
            p.close()


# --- UTF8 -----------------------------------------------------------------------------

UTF8_MESSAGE = ("From: Jörg <j@example.org>\nTo: alice@test.example\nSubject: Grüße\n"
                "\nGrüße aus Köln.\n.a dot line\n").encode()
ASCII_MESSAGE = b"From: bob@example.org\nSubject: plain\n\nplain ascii\n"


class Utf8Test(PoplarTestCase):

    def setUp(self):
        super().setUp()
        md = self.maildir("alice")
        # In delivery order: message 1 with ,W= (the raw size), 2 without, 3 7-bit.
        md.deliver(UTF8_MESSAGE, with_vsize=True)
        md.deliver(UTF8_MESSAGE, with_vsize=False)
        md.deliver(ASCII_MESSAGE)
        self.raws = [UTF8_MESSAGE, UTF8_MESSAGE, ASCII_MESSAGE]
        self.server = self.start_server()

    def list_sizes(self, c: PopClient) -> list[int]:
        status, body = c.multi("LIST")
        self.assertOk(status)
        return [int(l.split()[1]) for l in body.decode().split("\r\n")[:-1]]

    def stat(self, c: PopClient) -> tuple[int, int]:
        status = c.cmd("STAT")
        m = re.fullmatch(r"\+OK (\d+) (\d+)", status)
        self.assertIsNotNone(m, status)
        return int(m.group(1)), int(m.group(2))

    def retr(self, c: PopClient, n: int) -> tuple[int, bytes]:
        status, body = c.multi(f"RETR {n}")
        m = re.fullmatch(r"\+OK (\d+) octets", status)
        self.assertIsNotNone(m, status)
        return int(m.group(1)), body

    def test_without_utf8_headers_are_downgraded_and_sizes_exact(self):
        c = self.connect(self.server)
        c.login("alice", "secret1")
        sizes = self.list_sizes(c)
        self.assertEqual(self.stat(c), (3, sum(sizes)))
        for n, raw in enumerate(self.raws, 1):
            octets, body = self.retr(c, n)
            self.assertEqual(len(body), sizes[n - 1], f"LIST {n} is what RETR sends")
            self.assertEqual(octets, sizes[n - 1], f"RETR {n} status")
            head, _, text = body.partition(b"\r\n\r\n")
            raw_head, _, raw_text = wire_bytes(raw).partition(b"\r\n\r\n")
            self.assertEqual(text, raw_text, "the body is not touched")
            self.assertTrue(all(b < 0x80 for b in head), head)
            if raw is ASCII_MESSAGE:
                self.assertEqual(body, wire_bytes(raw))
                continue
            self.assertLess(len(wire_bytes(raw)), len(body))
            headers = email.parser.BytesHeaderParser().parsebytes(head + b"\r\n\r\n")
            decoded = {k: str(email.header.make_header(email.header.decode_header(v)))
                       for k, v in headers.items()}
            self.assertEqual(decoded["Subject"], "Grüße")
            self.assertEqual(decoded["From"], "Jörg <j@example.org>")
            self.assertEqual(decoded["To"], "alice@test.example")
            # TOP n 0 sends the same downgraded header block.
            status, top = c.multi(f"TOP {n} 0")
            self.assertEqual(top, head + b"\r\n\r\n")

    def test_with_utf8_messages_go_out_as_stored(self):
        c = self.connect(self.server)
        self.assertEqual(c.cmd("UTF8"), "+OK UTF8 enabled")
        c.login("alice", "secret1")
        sizes = self.list_sizes(c)
        self.assertEqual(sizes, [len(wire_bytes(r)) for r in self.raws])
        self.assertEqual(self.stat(c), (3, sum(sizes)))
        for n, raw in enumerate(self.raws, 1):
            octets, body = self.retr(c, n)
            self.assertEqual(body, wire_bytes(raw), f"RETR {n}")
            self.assertEqual(octets, len(body))

    def test_utf8_capability_and_state(self):
        c = self.connect(self.server)
        self.assertIn("UTF8 USER", capa_lines(c))
        c.login("alice", "secret1")
        self.assertFalse([l for l in capa_lines(c) if l.startswith("UTF8")], "UTF8 is announced before login")
        self.assertErr(c.cmd("UTF8"))
        # Still the downgraded form: UTF8 after login changed nothing.
        octets, body = self.retr(c, 1)
        self.assertTrue(all(b < 0x80 for b in body.partition(b"\r\n\r\n")[0]))

    def test_poplib_utf8(self):
        p = poplib.POP3("127.0.0.1", self.server.port, timeout=TIMEOUT)
        try:
            self.assertIn("UTF8", p.capa())
            self.assertTrue(p.utf8().startswith(b"+OK"))
            p.user("alice")
            p.pass_("secret1")
            count, total = p.stat()
            self.assertEqual((count, total), (3, sum(len(wire_bytes(r)) for r in self.raws)))
            for n, raw in enumerate(self.raws, 1):
                resp, lines, octets = p.retr(n)
                self.assertEqual(b"\r\n".join(lines) + b"\r\n", wire_bytes(raw))
                self.assertEqual(octets, len(wire_bytes(raw)))
            p.quit()
        finally:
            p.close()

    def test_poplib_without_utf8(self):
        p = poplib.POP3("127.0.0.1", self.server.port, timeout=TIMEOUT)
        try:
            p.user("alice")
            p.pass_("secret1")
            resp, listing, _ = p.list()
            sizes = {int(n): int(s) for n, s in (l.split() for l in listing)}
            for n in (1, 2):
                resp, lines, octets = p.retr(n)
                self.assertEqual(octets, sizes[n])
                subject = next(l for l in lines if l.startswith(b"Subject:"))
                self.assertEqual(str(email.header.make_header(email.header.decode_header(
                    subject[len(b"Subject:"):].decode("ascii").strip()))), "Grüße")
            p.quit()
        finally:
            p.close()


# Header shapes that exercise each downgrade rule; for every one LIST must be
# exactly what RETR sends and the header block must come out 7-bit.
HARD_MESSAGES = [
    ("Subject: " + "Größenänderungsüberprüfung " * 8 + "\n\tzweite Zeile ä\nFrom: a@example.org\n\nbody\n").encode(),
    "To: jörg@exämple.org, Zoë <zoe@example.org>\nCc: Grüppe: x@example.org, ü@example.org;\n\nb\n".encode(),
    ('Content-Type: text/plain; charset=utf-8; name="Bericht über Köln.txt"\n'
     'Content-Disposition: attachment; filename="Bericht über Köln.txt"\n\nb\n').encode(),
    "Message-ID: <ü@example.org>\nReferences: <a@b> <ö@c>\nX-Tag: ü\n\nb\n".encode(),
    b"Subject: latin-1 \xe9t\xe9 and a cut \xc3\nX-Ok: fine\n\nbody \xe9\n",
    "Subject: no body and no final newline ü".encode(),
    "Subject: only headers ü\n".encode(),
    "Subject: crlf ü\r\nFrom: Jörg <j@example.org>\r\n\r\n.dot\r\n".encode(),
    "Bad line with ü and no colon\nSubject: ok\n\nb\n".encode(),
]


class HardDowngradeTest(PoplarTestCase):

    def test_sizes_exact_and_headers_7bit(self):
        md = self.maildir("alice")
        raws = []
        for i, raw in enumerate(HARD_MESSAGES):
            md.deliver(raw, with_vsize=(i % 2 == 0))
            raws.append(raw)
        server = self.start_server()
        for attempt in ("computed", "cached"):
            c = self.connect(server)
            c.login("alice", "secret1")
            status, listing = c.multi("LIST")
            sizes = [int(l.split()[1]) for l in listing.decode().split("\r\n")[:-1]]
            self.assertEqual(len(sizes), len(raws))
            self.assertEqual(c.cmd("STAT"), f"+OK {len(raws)} {sum(sizes)}")
            for n, raw in enumerate(raws, 1):
                status, body = c.multi(f"RETR {n}")
                self.assertEqual(status, f"+OK {sizes[n - 1]} octets", (attempt, n))
                self.assertEqual(len(body), sizes[n - 1], (attempt, n, body[:300]))
                end = body.find(b"\r\n\r\n")
                head = body if end < 0 else body[:end + 4]
                self.assertTrue(all(b < 0x80 for b in head), (n, head))
                for line in head.split(b"\r\n"):
                    self.assertLessEqual(len(line), 998, (n, line[:100]))  # RFC 5322 section 2.1.1
                raw_end = wire_bytes(raw).find(b"\r\n\r\n")
                if raw_end >= 0:
                    self.assertEqual(body[end + 4:], wire_bytes(raw)[raw_end + 4:], (n, "body untouched"))
                status, top = c.multi(f"TOP {n} 0")
                self.assertEqual(top, head if end >= 0 else body, (n, "TOP 0 = RETR's header"))
            subject = email.parser.BytesHeaderParser().parsebytes(
                c.multi("TOP 1 0")[1])["Subject"]
            self.assertEqual(str(email.header.make_header(email.header.decode_header(subject))).split(),
                             ("Größenänderungsüberprüfung " * 8 + "zweite Zeile ä").split())
            self.assertOk(c.cmd("QUIT"))

    def test_header_over_a_megabyte_goes_out_as_stored(self):
        raw = b"Subject: big \xc3\xbc\nX-Big: " + b"\xc3\xa4" * (600 * 1024) + b"\n\nbody\n"
        self.maildir("alice").deliver(raw, with_vsize=False)
        server = self.start_server()
        c = self.connect(server)
        c.login("alice", "secret1")
        self.assertEqual(c.cmd("LIST 1"), f"+OK 1 {len(wire_bytes(raw))}")
        status, body = c.multi("RETR 1")
        self.assertEqual(body, wire_bytes(raw))


# --- LANG -----------------------------------------------------------------------------

class LangTest(PoplarTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.start_server()

    def test_listing(self):
        c = self.connect(self.server)
        self.assertIn("LANG", capa_lines(c))
        status, body = c.multi("LANG")
        self.assertOk(status)
        lines = body.decode().split("\r\n")[:-1]
        self.assertEqual([l.split(" ", 1)[0] for l in lines], ["en", "i-default"])
        for line in lines:
            self.assertRegex(line, r"^\S+ \S.*$", "tag, space, description")

    def test_choices(self):
        c = self.connect(self.server)
        for tag in ("en", "EN", "en-GB", "en-Latn-GB", "i-default", "*"):
            self.assertOk(c.cmd(f"LANG {tag}"), tag)
        self.assertIn("en", c.cmd("LANG en-GB"), "en-GB falls back to en")
        for tag in ("fr", "de-DE", "x-klingon", "english"):
            self.assertErr(c.cmd(f"LANG {tag}"), None, tag)
        # LANG is valid in both states, and an unknown tag is not a bad command.
        c.login("alice", "secret1")
        self.assertOk(c.cmd("LANG en"))
        self.assertIn("LANG", capa_lines(c))
        self.assertErr(c.cmd("LANG a b"))
        self.assertOk(c.cmd("STAT"))


if __name__ == "__main__":
    unittest.main()
