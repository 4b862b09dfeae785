"""The LMTP listener (RFC 2033) through the binary: Python's smtplib.LMTP over
the unix socket and loopback TCP, raw pipelined sessions, swaks, and a real
Postfix from Debian relaying into poplar over LMTP, with the mail then
fetched over POP3."""
import grp
import os
import re
import shutil
import signal
import smtplib
import socket
import stat
import subprocess
import time
import unittest

from poplar_fixture import POPLAR_BIN, TIMEOUT, PoplarTestCase, wire_bytes

_LMTP_TCP = re.compile(r"poplar: listening on lmtp (\d+\.\d+\.\d+\.\d+):(\d+)$")


class LmtpRaw:
    """A raw LMTP client: exact bytes in, reply lines out (multi-line replies joined)."""

    def __init__(self, address):
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(address)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def line(self) -> str:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed; unread: {self.buf!r}")
            self.buf += chunk
        i = self.buf.index(b"\r\n")
        line, self.buf = self.buf[:i], self.buf[i + 2:]
        return line.decode("latin-1")

    def reply(self) -> str:
        """One whole reply; the lines of a multi-line one joined with '\\n'."""
        lines = [self.line()]
        while lines[-1][3:4] == "-":
            lines.append(self.line())
        return "\n".join(lines)

    def at_eof(self) -> bool:
        if self.buf:
            return False
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True


class LmtpTestCase(PoplarTestCase):

    def setUp(self):
        super().setUp()
        self.socket_path = os.path.join(self.dir, "lmtp.sock")

    def start_lmtp(self, **overrides):
        cfg = {"lmtp_listen": ["unix:" + self.socket_path, "127.0.0.1:0"], "max_message_size": 10_000}
        cfg.update(overrides)
        self.server = self.start_server(**cfg)
        self.lmtp_port = None
        for line in self.server.log.lines:
            m = _LMTP_TCP.search(line)
            if m:
                self.lmtp_port = int(m.group(2))
        return self.server

    def lmtp(self, tcp: bool = False) -> smtplib.LMTP:
        client = smtplib.LMTP("127.0.0.1" if tcp else self.socket_path, self.lmtp_port if tcp else 0,
                              timeout=TIMEOUT)
        self.addCleanup(client.close)
        return client

    def raw(self, tcp: bool = False) -> LmtpRaw:
        client = LmtpRaw(("127.0.0.1", self.lmtp_port) if tcp else self.socket_path)
        self.addCleanup(client.close)
        return client

    def stored(self, user: str) -> list[bytes]:
        new = os.path.join(self.mail_root, user, "new")
        if not os.path.isdir(new):
            return []
        out = []
        for name in sorted(os.listdir(new)):
            with open(os.path.join(new, name), "rb") as f:
                out.append(f.read())
        return out

    def tmp_files(self, user: str) -> list[str]:
        tmp = os.path.join(self.mail_root, user, "tmp")
        return os.listdir(tmp) if os.path.isdir(tmp) else []


MESSAGE = (b"From: sender@example.net\r\nTo: alice@example.org\r\nSubject: lmtp test\r\n\r\n"
           b"Hello.\r\n.leading dot\r\n..two dots\r\n.\r\nafter a lone dot\r\n")


class LmtpDeliveryTest(LmtpTestCase):

    def test_greeting_and_lhlo_announce_the_extensions(self):
        self.start_lmtp()
        c = self.raw()
        self.assertEqual(c.reply(), "220 test.example LMTP poplar ready")
        c.send(b"LHLO mta.example\r\n")
        self.assertEqual(c.reply(), "250-test.example\n250-PIPELINING\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n"
                                    "250 SIZE 10000")
        c.send(b"QUIT\r\n")
        self.assertEqual(c.reply(), "221 2.0.0 test.example Bye")
        self.assertTrue(c.at_eof())

    def test_multi_recipient_with_one_unknown(self):
        server = self.start_lmtp()
        c = self.lmtp()
        self.assertEqual(c.ehlo("mta.example")[0], 250)
        self.assertTrue(c.has_extn("pipelining") and c.has_extn("8bitmime") and c.has_extn("enhancedstatuscodes"))
        self.assertEqual(c.mail("sender@example.net")[0], 250)
        self.assertEqual(c.rcpt("alice@example.org")[0], 250)
        code, text = c.rcpt("mallory@example.org")
        self.assertEqual((code, text), (550, b"5.1.1 <mallory@example.org> User unknown"))
        self.assertEqual(c.rcpt("bob")[0], 250)
        # smtplib reads one reply after DATA; LMTP sends one per accepted recipient.
        self.assertEqual(c.data(MESSAGE), (250, b"2.0.0 <alice@example.org> Delivered"))
        self.assertEqual(c.getreply(), (250, b"2.0.0 <bob> Delivered"))
        self.assertEqual(c.quit()[0], 221)

        expected = b"Return-Path: <sender@example.net>\n" + MESSAGE.replace(b"\r\n", b"\n")
        self.assertEqual(self.stored("alice"), [expected])
        self.assertEqual(self.stored("bob"), [expected])
        self.assertFalse(os.path.exists(os.path.join(self.mail_root, "mallory")))
        self.assertEqual(self.tmp_files("alice"), [])
        name = os.listdir(os.path.join(self.mail_root, "alice", "new"))[0]
        self.assertRegex(name, rf",S={len(expected)},W={len(wire_bytes(expected))}$")
        server.log.wait_for(rf"lmtp delivered user=alice size={len(expected)} file={re.escape(name)}$")
        server.log.wait_for(r"lmtp delivered user=bob size=")
        server.log.wait_for(r"lmtp refused rcpt=mallory@example.org reason=unknown-user$")

    def test_over_tcp_and_the_same_user_twice_is_stored_once(self):
        self.start_lmtp()
        c = self.lmtp(tcp=True)
        c.ehlo("mta.example")
        c.mail("")
        c.rcpt("alice@example.org")
        c.rcpt("alice")
        self.assertEqual(c.data(b"Subject: twice\r\n\r\nx\r\n")[0], 250)
        self.assertEqual(c.getreply(), (250, b"2.0.0 <alice> Delivered"))
        self.assertEqual(self.stored("alice"), [b"Return-Path: <>\nSubject: twice\n\nx\n"])

    def test_size_too_big(self):
        server = self.start_lmtp()
        c = self.lmtp()
        c.ehlo("mta.example")
        self.assertEqual(c.does_esmtp and c.esmtp_features.get("size"), "10000")
        code, text = c.mail("sender@example.net", ["SIZE=10001"])
        self.assertEqual((code, text), (552, b"5.3.4 Message too big (the limit is 10000 octets)"))
        # Without SIZE=, the limit is found while reading: one 552 per recipient.
        self.assertEqual(c.mail("sender@example.net")[0], 250)
        c.rcpt("alice")
        c.rcpt("bob")
        big = b"Subject: big\r\n\r\n" + b"x" * 200 + b"\r\n" * 60 + b"y" * 20_000 + b"\r\n"
        self.assertEqual(c.data(big), (552, b"5.3.4 <alice> Message too big (the limit is 10000 octets)"))
        self.assertEqual(c.getreply(), (552, b"5.3.4 <bob> Message too big (the limit is 10000 octets)"))
        self.assertEqual(c.noop()[0], 250)
        self.assertEqual(self.stored("alice") + self.stored("bob"), [])
        self.assertEqual(self.tmp_files("alice") + self.tmp_files("bob"), [])
        server.log.wait_for(r"lmtp refused user=alice reason=too-big limit=10000$")

    def test_dot_unstuffing_and_crlf_stored_as_lf_then_retrieved_over_pop3(self):
        self.start_lmtp()
        c = self.raw()
        c.reply()
        # Written by hand: dot-stuffed, with a bare LF and a line over 1000 octets.
        long_line = b"z" * 3000
        c.send(b"LHLO x\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
        self.assertTrue(c.reply().startswith("250-"))
        self.assertEqual(c.reply(), "250 2.1.0 Ok")
        self.assertEqual(c.reply(), "250 2.1.5 Ok")
        self.assertTrue(c.reply().startswith("354 "))
        c.send(b"Subject: dots\r\n\r\n..one\r\n...two\r\n.\rnot the end\r\nbare\nlf\r\n" + long_line + b"\r\n.\r\n")
        self.assertEqual(c.reply(), "250 2.0.0 <alice@example.org> Delivered")
        stored = (b"Return-Path: <s@example.net>\nSubject: dots\n\n.one\n..two\n\rnot the end\nbare\nlf\n"
                  + long_line + b"\n")
        self.assertEqual(self.stored("alice"), [stored])
        pop = self.connect(self.server)
        pop.login("alice", "secret1")
        status, body = pop.multi("RETR 1")
        self.assertEqual(status, f"+OK {len(wire_bytes(stored))} octets")
        self.assertEqual(body, wire_bytes(stored))

    def test_pipelined_batch_is_answered_in_order(self):
        self.start_lmtp()
        c = self.raw(tcp=True)
        c.reply()
        c.send(b"LHLO x\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<alice>\r\nRCPT TO:<nobody>\r\n"
               b"RCPT TO:<bob@example.org>\r\nDATA\r\n")
        replies = [c.reply() for _ in range(6)]
        self.assertEqual(replies[1:], ["250 2.1.0 Ok", "250 2.1.5 Ok", "550 5.1.1 <nobody> User unknown",
                                       "250 2.1.5 Ok", "354 Start mail input; end with <CRLF>.<CRLF>"])
        # The data, the final dot and the next commands in one write.
        c.send(b"Subject: p\r\n\r\nbody\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n")
        self.assertEqual([c.reply() for _ in range(5)],
                         ["250 2.0.0 <alice> Delivered", "250 2.0.0 <bob@example.org> Delivered", "250 2.0.0 Ok",
                          "250 2.0.0 Ok", "221 2.0.0 test.example Bye"])
        self.assertTrue(c.at_eof())

    def test_bad_input(self):
        self.start_lmtp()
        c = self.raw()
        c.reply()
        c.send(b"MAIL FROM:<a@b>\r\nLHLO x\r\nRCPT TO:<alice>\r\nDATA\r\nHELO x\r\nVRFY alice\r\n")
        self.assertEqual(c.reply(), "503 5.5.1 Send LHLO first")
        c.reply()
        self.assertEqual(c.reply(), "503 5.5.1 Need MAIL command first")
        self.assertEqual(c.reply(), "503 5.5.1 Need MAIL and RCPT commands first")
        self.assertEqual(c.reply(), "500 5.5.1 Command unrecognized")
        self.assertEqual(c.reply(), "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery")
        c.send(b"NOOP " + b"x" * 5000 + b"\r\nNOOP\r\n")
        self.assertEqual(c.reply(), "500 5.5.2 Line too long")
        self.assertEqual(c.reply(), "250 2.0.0 Ok")

    def test_temporary_failure_for_one_recipient_does_not_fail_the_others(self):
        server = self.start_lmtp()
        # bob's Maildir cannot be made: a file stands where it should be.
        with open(os.path.join(self.mail_root, "bob"), "w") as f:
            f.write("not a directory\n")
        c = self.lmtp()
        c.ehlo("x")
        c.mail("s@example.net")
        c.rcpt("bob")
        c.rcpt("alice")
        self.assertEqual(c.data(b"Subject: t\r\n\r\nx\r\n"),
                         (451, b"4.3.0 <bob> Cannot store the message now, try again later"))
        self.assertEqual(c.getreply(), (250, b"2.0.0 <alice> Delivered"))
        self.assertEqual(len(self.stored("alice")), 1)
        server.log.wait_for(r"lmtp refused user=bob reason=temporary detail=")

    def test_unreadable_passwd_file_is_temporary(self):
        os.rename(self.passwd_path, self.passwd_path + ".away")
        server = self.start_lmtp()
        c = self.lmtp()
        c.ehlo("x")
        c.mail("s@example.net")
        self.assertEqual(c.rcpt("alice@example.org"),
                         (451, b"4.3.0 <alice@example.org> Cannot look the user up now, try again later"))
        server.log.wait_for(r"lmtp refused rcpt=alice@example.org reason=passdb-unavailable")
        os.rename(self.passwd_path + ".away", self.passwd_path)
        self.assertEqual(c.rcpt("alice@example.org")[0], 250)

    def test_delivered_while_a_pop3_session_holds_the_mailbox_shows_at_the_next_login(self):
        self.start_lmtp()
        md = self.maildir("alice")
        md.deliver(b"Subject: old\n\nold\n")
        pop = self.connect(self.server)
        pop.login("alice", "secret1")
        self.assertTrue(pop.cmd("STAT").startswith("+OK 1 "))
        c = self.lmtp()
        c.ehlo("x")
        c.mail("s@example.net")
        c.rcpt("alice")
        self.assertEqual(c.data(b"Subject: new\r\n\r\nnew\r\n")[0], 250)
        self.assertTrue(pop.cmd("STAT").startswith("+OK 1 "))  # the session keeps its snapshot
        self.assertTrue(pop.cmd("QUIT").startswith("+OK"))
        again = self.connect(self.server)
        again.login("alice", "secret1")
        self.assertTrue(again.cmd("STAT").startswith("+OK 2 "))
        bodies = [again.multi(f"RETR {i}")[1] for i in (1, 2)]
        self.assertIn(b"Return-Path: <s@example.net>\r\nSubject: new\r\n\r\nnew\r\n", bodies)

    def test_swaks(self):
        if shutil.which("swaks") is None:
            self.skipTest("swaks is not installed (scripts/install-deps.sh installs it)")
        self.start_lmtp()
        for how in (["--socket", self.socket_path], ["--server", "127.0.0.1", "--port", str(self.lmtp_port)]):
            done = subprocess.run(["swaks", "--protocol", "LMTP", *how, "--to", "alice@example.org,bob@example.org",
                                   "--from", "swaks@example.net", "--helo", "mta.example",
                                   "--header", "Subject: from swaks", "--body", ".dot first\nline two\n"],
                                  capture_output=True, text=True, timeout=TIMEOUT * 3)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertIn("250 2.0.0 <bob@example.org> Delivered", done.stdout)
        for user in ("alice", "bob"):
            messages = self.stored(user)
            self.assertEqual(len(messages), 2)
            for raw in messages:
                self.assertTrue(raw.startswith(b"Return-Path: <swaks@example.net>\n"), raw)
                self.assertIn(b"Subject: from swaks\n", raw)
                self.assertIn(b"\n.dot first\nline two\n", raw)


class LmtpListenerTest(LmtpTestCase):

    def test_socket_mode_group_and_removal_at_exit(self):
        group = grp.getgrgid(os.getgid()).gr_name
        server = self.start_lmtp(lmtp_socket_mode="0640", lmtp_socket_group=group)
        st = os.stat(self.socket_path)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)
        self.assertEqual(st.st_gid, os.getgid())
        server.log.wait_for(rf"poplar: listening on lmtp unix:{re.escape(self.socket_path)}$")
        self.assertEqual(server.terminate(), 0)
        self.assertFalse(os.path.exists(self.socket_path))

    def test_default_mode_is_0660(self):
        self.start_lmtp()
        self.assertEqual(stat.S_IMODE(os.stat(self.socket_path).st_mode), 0o660)

    def test_a_stale_socket_is_replaced_and_a_live_one_or_a_file_is_not(self):
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(self.socket_path)
        stale.close()  # the file stays, nobody listens
        self.start_lmtp()
        self.assertEqual(self.lmtp().noop()[0], 250)
        # A second server on the same socket must not steal it.
        config = self.write_config("second.toml", lmtp_listen=["unix:" + self.socket_path])
        done = subprocess.run([POPLAR_BIN, "serve", "-c", config], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(done.returncode, 1)
        self.assertIn("another server is listening on it", done.stderr)
        other = os.path.join(self.dir, "plain-file")
        open(other, "w").close()
        config = self.write_config("third.toml", lmtp_listen=["unix:" + other])
        done = subprocess.run([POPLAR_BIN, "serve", "-c", config], capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(done.returncode, 1)
        self.assertIn("the path exists and is not a socket", done.stderr)
        self.assertTrue(os.path.exists(other))

    def test_non_loopback_address_is_a_config_error(self):
        config = self.write_config(lmtp_listen=["0.0.0.0:24"])
        done = self.run_poplar("check-config", "-c", config)
        self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
        self.assertIn('"0.0.0.0:24" is not a loopback address: LMTP has no authentication', done.stderr)

    def test_sigterm_says_421_to_an_idle_client_and_exits_0(self):
        server = self.start_lmtp()
        c = self.raw()
        c.reply()
        c.send(b"LHLO x\r\n")
        c.reply()
        self.assertEqual(server.terminate(), 0)
        self.assertEqual(c.reply(), "421 4.3.2 test.example Shutting down, try again later")

    def test_sigterm_in_the_middle_of_data_delivers_nothing(self):
        server = self.start_lmtp()
        c = self.raw()
        c.reply()
        c.send(b"LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<alice>\r\nDATA\r\n")
        for _ in range(4):
            c.reply()
        c.send(b"Subject: half\r\n\r\nhalf a message\r\n")
        self.assertEqual(server.terminate(), 0)
        self.assertEqual(self.stored("alice"), [])
        self.assertEqual(self.tmp_files("alice"), [])

    def test_idle_timeout_says_421(self):
        self.start_lmtp(idle_timeout="10s")
        c = self.raw()
        c.reply()
        c.sock.settimeout(30)
        start = time.monotonic()
        self.assertEqual(c.reply(), "421 4.4.2 test.example Timeout, closing connection")
        self.assertGreaterEqual(time.monotonic() - start, 9)
        self.assertTrue(c.at_eof())


POSTFIX_SERVICES = """\
{smtp} inet n - n - - smtpd
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
lmtp      unix  - - n -    - lmtp
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostfixTest(LmtpTestCase):
    """A private Postfix instance (its own config and queue directories under
    the test's temp dir) accepts mail over SMTP for example.org and relays it
    into poplar over LMTP, here over the unix socket, with the socket given to
    group postfix as the README says to do."""

    def setUp(self):
        super().setUp()
        postfix = shutil.which("postfix") or ("/usr/sbin/postfix" if os.path.exists("/usr/sbin/postfix") else None)
        if postfix is None:
            self.skipTest("Postfix is not installed (scripts/install-deps.sh installs it)")
        if os.geteuid() != 0:
            self.skipTest("a private Postfix instance must be started as root")
        try:
            grp.getgrnam("postfix")
        except KeyError:
            self.skipTest("there is no postfix group: the Postfix package is not set up")
        self.postfix = postfix
        # Postfix's daemons run as user postfix: they must reach the queue and the socket.
        os.chmod(self.dir, 0o755)
        self.pf = os.path.join(self.dir, "postfix")
        conf, queue, data = (os.path.join(self.pf, d) for d in ("conf", "queue", "data"))
        for d in (conf, queue, data):
            os.makedirs(d)
        os.chmod(self.pf, 0o755)
        shutil.chown(data, "postfix")
        self.conf = conf
        self.maillog = os.path.join(self.pf, "maillog")
        self.smtp_port = free_port()
        with open(os.path.join(conf, "main.cf"), "w") as f:
            f.write(f"""compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
maillog_file = {self.maillog}
maillog_file_prefixes = {self.pf}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test.invalid
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = example.org
virtual_transport = lmtp:unix:{self.socket_path}
# poplar refuses unknown users at RCPT itself.
smtpd_reject_unlisted_recipient = no
smtputf8_enable = no
""")
        with open(os.path.join(conf, "master.cf"), "w") as f:
            f.write(POSTFIX_SERVICES.format(smtp=f"127.0.0.1:{self.smtp_port}"))

    def postfix_cmd(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run([self.postfix, "-c", self.conf, *args], capture_output=True, text=True,
                              timeout=TIMEOUT * 3)

    def log_text(self) -> str:
        try:
            with open(self.maillog) as f:
                return f.read()
        except OSError:
            return "(no maillog)"

    def master_pid(self) -> int | None:
        try:
            with open(os.path.join(self.pf, "queue", "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop_postfix(self):
        pid = self.master_pid()
        self.postfix_cmd("stop")
        if pid is None:
            return
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[1].startswith("Z"):
                    return  # exited; its parent (not us) has yet to reap it
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def test_postfix_relays_into_poplar_and_pop3_retrieves_it(self):
        self.start_lmtp(lmtp_socket_group="postfix")
        started = self.postfix_cmd("start")
        self.addCleanup(self.stop_postfix)
        if started.returncode != 0:
            self.skipTest(f"Postfix cannot start here: {started.stderr.strip()}\n{self.log_text()}")
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                smtp = smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=TIMEOUT)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("Postfix's smtpd never listened:\n" + self.log_text())
                time.sleep(0.05)
        self.addCleanup(smtp.close)
        message = (b"From: sender@example.net\r\nTo: alice@example.org\r\nSubject: through postfix\r\n\r\n"
                   b"Relayed by Postfix.\r\n.A line with a leading dot\r\n")
        refused = smtp.sendmail("sender@example.net", ["alice@example.org", "bob@example.org"], message)
        self.assertEqual(refused, {})
        smtp.quit()

        # Postfix queues, then its lmtp client delivers: poll the Maildirs, bounded.
        deadline = time.monotonic() + 6 * TIMEOUT
        while len(self.stored("alice")) + len(self.stored("bob")) < 2:
            if time.monotonic() > deadline:
                raise AssertionError("no delivery from Postfix:\n" + self.log_text() + "\n" + self.server.log.text())
            time.sleep(0.1)
        for user, password in (("alice", "secret1"), ("bob", "secret2")):
            [raw] = self.stored(user)
            self.assertTrue(raw.startswith(b"Return-Path: <sender@example.net>\n"), raw)
            self.assertIn(b"Received: ", raw)  # Postfix's own trace header
            self.assertIn(b"\nSubject: through postfix\n", raw)
            self.assertTrue(raw.endswith(b"\n\nRelayed by Postfix.\n.A line with a leading dot\n"), raw)
            pop = self.connect(self.server)
            pop.login(user, password)
            status, body = pop.multi("RETR 1")
            self.assertTrue(status.startswith("+OK"), status)
            self.assertEqual(body, wire_bytes(raw))
        self.server.log.wait_for(r"lmtp delivered user=alice size=")
        self.assertRegex(self.log_text(), r"to=<alice@example.org>, relay=.*status=sent \(250 2\.0\.0 <alice@example.org> Delivered\)")


if __name__ == "__main__":
    unittest.main()
