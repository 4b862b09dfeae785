"""Hostile and sloppy input through the wire: over-long lines, bad-command
limits, malformed arguments, NUL bytes, idle connections, the per-IP limit —
and the server keeps serving everyone else afterwards."""

import select
import socket
import time
import unittest

from poplar_fixture import PoplarTestCase, PopClient, ReplyReader, SANITIZER_REPORT, TIMEOUT, wire_bytes


class InputLimitsTest(PoplarTestCase):

    def setUp(self):
        super().setUp()
        md = self.maildir("alice")
        for i in range(3):
            md.deliver(b"Subject: m%d\n\nbody %d\n" % (i, i))
        self.server = self.start_server()

    def assert_still_serving(self, messages: int = 3):
        c = self.connect(self.server)
        self.assertOk(c.greeting.decode())
        c.login("alice", "secret1")
        self.assertTrue(c.cmd("STAT").startswith(f"+OK {messages} "))
        self.assertOk(c.cmd("QUIT"))

    def test_overlong_line_gets_one_err_then_close(self):
        c = self.connect(self.server)
        try:
            c.send(b"NOOP" + b"x" * (100 * 1024))
            c.send(b"\r\nNOOP\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may hang up before we finish writing
        rest = c.read_until_eof()
        lines = rest.split(b"\r\n")
        self.assertEqual(lines[-1], b"", f"partial line after close: {rest[-80:]!r}")
        self.assertEqual(len(lines), 2, f"expected exactly one reply line, got {rest[:300]!r}")
        self.assertTrue(lines[0].startswith(b"-ERR"), rest[:300])
        self.server.log.wait_for(r"session end user=- .*reason=line-too-long")
        self.assert_still_serving()

    def test_overlong_line_after_login(self):
        c = self.connect(self.server)
        c.login("alice", "secret1")
        self.assertOk(c.cmd("DELE 1"))
        try:
            c.send(b"LIST " + b"1" * 5000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        rest = c.read_until_eof()
        self.assertTrue(rest.startswith(b"-ERR") and rest.count(b"\r\n") == 1, rest[:300])
        self.server.log.wait_for(r"session end user=alice .*deleted=0 reason=line-too-long")
        self.assert_still_serving()  # and DELE 1 was not applied

    def test_long_line_under_the_limit_is_just_a_command(self):
        c = self.connect(self.server)
        self.assertErr(c.cmd("NOOP " + "y" * 1000))
        self.assertOk(c.cmd("USER alice"))

    def test_three_bad_commands_before_login_close(self):
        c = self.connect(self.server)
        self.assertErr(c.cmd("FOO"))
        self.assertErr(c.cmd("BAR"))
        self.assertErr(c.cmd("BAZ"))
        self.assertTrue(c.at_eof(), "still open after the third bad command before login")
        self.server.log.wait_for(r"session end user=- .*reason=too-many-bad-commands")
        self.assert_still_serving()

    def test_twenty_bad_commands_after_login_close(self):
        c = self.connect(self.server)
        c.login("alice", "secret1")
        for i in range(1, 20):
            self.assertErr(c.cmd(f"XBAD{i}"), msg=f"bad command {i}")
        self.assertErr(c.cmd("XBAD20"))
        self.assertTrue(c.at_eof(), "still open after the 20th bad command")
        self.server.log.wait_for(r"session end user=alice .*reason=too-many-bad-commands")

    def test_argument_validation(self):
        """Numbers are parsed whole: overflow, sign and trailing noise are errors."""
        c = self.connect(self.server)
        c.login("alice", "secret1")
        for line in ("LIST 4294967297", "LIST 18446744073709551617", "LIST -1", "LIST 1x",
                     "LIST 0", "TOP 1 -1", "TOP 1", "TOP 1 x", "RETR 0", "RETR", "DELE 99",
                     "UIDL 4"):
            self.assertErr(c.cmd(line), msg=line)
        self.assertTrue(c.cmd("STAT").startswith("+OK 3 "), "DELE 99 changed the mailbox")
        self.assertTrue(c.cmd("LIST 1").startswith("+OK 1 "), "session broken by bad arguments")
        self.assertOk(c.cmd("QUIT"))

    def test_nul_byte_in_line_is_refused(self):
        c = self.connect(self.server)
        self.assertErr(c.cmd(b"USER al\x00ice"))
        c.login("alice", "secret1")
        self.assertErr(c.cmd(b"NOOP\x00"))
        self.assertErr(c.cmd(b"LIST 1\x00"))
        self.assertOk(c.cmd("NOOP"))

    def test_malformed_input_catalogue_never_kills_server(self):
        """Each input on a fresh connection gets a status line or a close; the server lives."""
        catalogue = [b"\r\n", b" \r\n", b"\xff\xfe\xfd\r\n", b"USER\r\n", b"PASS\r\n",
                     b"APOP\r\n", b"APOP alice\r\n", b"USER " + b"a" * 3000 + b"\r\n",
                     b"USER ../../etc\r\nPASS x\r\n", b"USER a/b\r\nPASS x\r\n",
                     b"USER %s\r\nPASS x\r\n" % b"%n%d%h", b"AUTH\r\n", b"AUTH PLAIN\r\n",
                     b"STLS\r\n", b"CAPA extra args\r\n", b"\x00\r\n", b"NOOP\r\r\n",
                     b"\x1b[31mQUIT\r\n"]
        for data in catalogue:
            c = PopClient(self.server.port)
            try:
                c.send(data)
                reply = c.readline()
            finally:
                c.close()
            # "+ " is a SASL challenge (AUTH PLAIN without an initial response).
            self.assertTrue(reply == b"" or reply.startswith((b"+OK", b"-ERR", b"+ ")), f"{data!r} -> {reply!r}")
            self.assertTrue(self.server.running(), f"server died on {data!r}")
        self.assert_still_serving()

    def test_control_and_non_utf8_bytes_in_user_are_escaped_in_the_log(self):
        """A user name with ESC, a CSI sequence and 0xff: [AUTH] on the wire, and
        the log shows \\x1b and \\xff, never the raw bytes (no terminal tricks)."""
        c = self.connect(self.server)
        self.assertOk(c.cmd(b"USER a\x1b[31mb\xff"))
        self.assertErr(c.cmd("PASS x"), "AUTH")
        self.assertOk(c.cmd("QUIT"))
        self.server.log.wait_for(r"session end user=- ")
        # Stop the server so that every line it wrote has been read.
        self.assertEqual(self.server.terminate(), 0, self.server.log.text())
        log = self.server.log.text()
        self.assertNotRegex(log, SANITIZER_REPORT)
        self.assertRegex(log, r"login failed user=a\\x1b\[31mb\\xff ip=")
        self.assertNotIn("\x1b", log, "raw ESC in the log")
        # LogReader decodes as UTF-8 with replacement: a raw 0xff would show as U+FFFD.
        self.assertNotIn("\ufffd", log, "raw non-UTF-8 byte in the log")
        self.assertNotIn("\xff", log, "raw 0xff in the log")

    def test_client_vanishing_mid_retr(self):
        self.maildir("alice").deliver(b"Subject: huge\n\n" + (b"w" * 70 + b"\n") * 40000)
        c = self.connect(self.server)
        c.login("alice", "secret1")
        c.send(b"RETR 4\r\n")
        c.readline()
        c.close()
        self.server.log.wait_for(r"session end user=alice .*reason=(dropped|io-error)")
        self.assert_still_serving(messages=4)


class FramingTest(PoplarTestCase):
    """How command lines are cut: the length limit's edge, split writes, big pipelines."""

    def setUp(self):
        super().setUp()
        self.md = self.maildir("alice")
        self.big = b"Subject: big\n\n" + (b"b" * 77 + b"\n") * 3000
        self.md.deliver(self.big)

    def test_line_length_limit_counts_crlf(self):
        """max_line_length = 512 (its minimum): a 512-octet line (CRLF included) is a command, 513 is not."""
        server = self.start_server(max_line_length=512)
        c = self.connect(server)
        line = b"USER " + b"a" * 505
        self.assertEqual(len(line) + 2, 512)
        self.assertOk(c.cmd(line))
        self.assertErr(c.cmd(line + b"a"))
        self.assertTrue(c.at_eof(), "a 513-octet line did not close the connection")

    def test_command_split_into_single_bytes(self):
        server = self.start_server()
        c = self.connect(server)
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for byte in b"USER alice\r\nPASS secret1\r\nSTAT\r\n":
            c.send(bytes([byte]))
        self.assertOk(c.readline().decode())
        self.assertOk(c.readline().decode())
        self.assertTrue(c.readline().startswith(b"+OK 1 "))

    def test_large_pipeline_of_retr_without_reading(self):
        """The client writes 30 RETRs before reading anything: no deadlock, no loss."""
        server = self.start_server()
        c = self.connect(server)
        c.login("alice", "secret1")
        c.send(b"RETR 1\r\n" * 30 + b"QUIT\r\n")
        for i in range(30):
            self.assertOk(c.readline().decode(), f"RETR #{i}")
            self.assertEqual(c.read_multiline(), wire_bytes(self.big), f"RETR #{i}")
        self.assertOk(c.readline().decode())

    def test_pipeline_with_failed_login_keeps_order(self):
        server = self.start_server()
        c = self.connect(server)
        c.send(b"USER alice\r\nPASS wrong\r\nUSER alice\r\nPASS secret1\r\nSTAT\r\nQUIT\r\n")
        r = ReplyReader(c.read_until_eof())
        replies = [r.readline().decode() for _ in range(6)]
        self.assertOk(replies[0])
        self.assertTrue(replies[1].startswith("-ERR [AUTH]"), replies)
        self.assertOk(replies[2])
        self.assertOk(replies[3])
        self.assertTrue(replies[4].startswith("+OK 1 "), replies)
        self.assertOk(replies[5])
        self.assertEqual(r.buf, b"")

    def test_thousand_pipelined_noops(self):
        server = self.start_server()
        c = self.connect(server)
        c.login("alice", "secret1")
        c.send(b"NOOP\r\n" * 1000 + b"QUIT\r\n")
        r = ReplyReader(c.read_until_eof())
        replies = [r.readline() for _ in range(1001)]
        self.assertTrue(all(x.startswith(b"+OK") for x in replies))
        self.assertEqual(r.buf, b"")


class IdleTimeoutTest(PoplarTestCase):

    def shortest_login_timeout(self) -> int:
        """1s if the config layer accepts it, else the smallest it accepts."""
        for seconds in (1, 2, 5, 10, 30, 60):
            path = self.write_config("probe.toml", login_timeout=f"{seconds}s")
            if self.run_poplar("check-config", "--config", path).returncode == 0:
                return seconds
        self.fail("no login_timeout between 1s and 60s accepted")

    def test_idle_connection_before_login_is_closed(self):
        seconds = self.shortest_login_timeout()
        server = self.start_server(login_timeout=f"{seconds}s")
        c = PopClient(server.port, timeout=seconds + TIMEOUT)
        self.addCleanup(c.close)
        start = time.monotonic()
        rest = c.read_until_eof()
        elapsed = time.monotonic() - start
        # RFC 1939 section 3: closed "without ... sending any response".
        self.assertEqual(rest, b"", f"before close the server sent {rest!r}")
        self.assertGreaterEqual(elapsed, seconds * 0.9)
        server.log.wait_for(r"session end user=- .*reason=idle-timeout")

    def test_idle_session_after_login_is_closed_without_update(self):
        """idle_timeout = 10s, the smallest allowed (RFC 1939 wants >= 10 minutes in production)."""
        md = self.maildir("alice")
        uid = md.deliver(b"Subject: keep me\n\nx\n")
        server = self.start_server(idle_timeout="10s", login_timeout="10s")
        c = PopClient(server.port, timeout=10 + TIMEOUT)
        self.addCleanup(c.close)
        c.login("alice", "secret1")
        self.assertOk(c.cmd("DELE 1"))
        start = time.monotonic()
        rest = c.read_until_eof()
        self.assertGreaterEqual(time.monotonic() - start, 9.0)
        self.assertEqual(rest, b"", "RFC 1939 section 3: no response on the inactivity timer")
        server.log.wait_for(r"session end user=alice .*deleted=0 reason=idle-timeout")
        self.assertEqual(md.uids(), {uid})


    def test_trickling_bytes_before_login_does_not_hold_the_slot(self):
        """Review finding: the pre-login allowance is a total since connect, not
        restarted by each byte, so a client cannot hold a slot for ever."""
        seconds = self.shortest_login_timeout()
        server = self.start_server(login_timeout=f"{seconds}s")
        c = PopClient(server.port, timeout=TIMEOUT)
        self.addCleanup(c.close)
        start = time.monotonic()
        closed = False
        # One byte every quarter of the allowance, for at most 4 allowances.
        while time.monotonic() - start < seconds * 4:
            try:
                c.send(b"U")
            except OSError:
                closed = True
                break
            readable, _, _ = select.select([c.sock], [], [], seconds / 4)
            if readable:
                # The only thing the server may still say is its timeout line.
                rest = c.read_until_eof()
                self.assertTrue(rest == b"" or rest.startswith(b"-ERR"), rest)
                closed = True
                break
        self.assertTrue(closed, "a trickling client was never disconnected")
        self.assertLess(time.monotonic() - start, seconds * 3)
        server.log.wait_for(r"session end user=- .*reason=idle-timeout")

    def test_failure_delay_is_not_counted_as_client_idleness(self):
        """Review finding: a failed login whose delay outlasts the rest of the
        login allowance still gets its -ERR [AUTH] reply."""
        seconds = self.shortest_login_timeout()
        server = self.start_server(login_timeout=f"{seconds}s", auth_failure_delay=f"{seconds + 1}s")
        c = PopClient(server.port, timeout=seconds + TIMEOUT)
        self.addCleanup(c.close)
        self.assertOk(c.cmd("USER alice"))
        self.assertErr(c.cmd("PASS wrong"), "AUTH")


class ConnectionLimitTest(PoplarTestCase):

    def test_third_connection_from_same_ip_refused(self):
        server = self.start_server(max_connections_per_ip=2)
        a = self.connect(server)
        b = self.connect(server)
        self.assertOk(a.greeting.decode())
        self.assertOk(b.greeting.decode())
        c = self.connect(server)
        self.assertTrue(c.greeting.startswith(b"-ERR [SYS/TEMP]"), c.greeting)
        self.assertTrue(c.at_eof(), "refused connection left open")
        server.log.wait_for(r"reason=connection-limit")
        # The first two still work; once one leaves, a newcomer is let in.
        self.assertOk(a.cmd("USER alice"))
        self.assertOk(b.cmd("QUIT"))
        server.log.wait_for(r"session end user=- .*reason=quit")
        deadline = time.monotonic() + TIMEOUT
        while True:  # the slot is freed when the server has seen the close
            d = self.connect(server)
            if d.greeting.startswith(b"+OK") or time.monotonic() > deadline:
                break
            d.close()
        self.assertOk(d.greeting.decode())

    def test_global_connection_limit(self):
        server = self.start_server(max_connections=2)
        a = self.connect(server)
        b = self.connect(server)
        self.assertOk(a.greeting.decode())
        self.assertOk(b.greeting.decode())
        c = self.connect(server)
        self.assertTrue(c.greeting.startswith(b"-ERR"), c.greeting)
        self.assertTrue(c.at_eof(), "refused connection left open")
        server.log.wait_for(r"reason=connection-limit")


if __name__ == "__main__":
    unittest.main()
