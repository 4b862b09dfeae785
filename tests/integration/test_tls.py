"""TLS (issue 3) against the real server: STLS (RFC 2595) and implicit TLS
(RFC 8314) with openssl s_client, curl, poplib, mpop and fetchmail, each
verifying the test CA's certificate; the STARTTLS injection class, the
handshake deadline, protocol versions, certificate reload on SIGHUP,
check-config, and the plaintext-password rule off loopback (a client in a
network namespace)."""

import ipaddress
import json
import os
import poplib
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import unittest

from poplar_fixture import (SAMPLE_MESSAGES, PoplarTestCase, PopClient, ReplyReader, TestCA,
                            TIMEOUT, as_lf, read_dir_files, wire_bytes)

# A client tool does a whole session (or fails a handshake) well within this.
CLIENT_TIMEOUT = 3 * TIMEOUT

# The handshake allowance the deadline tests configure, and the login
# allowance it must beat by far.
HANDSHAKE_TIMEOUT = 1.0
LOGIN_TIMEOUT = 10.0

# curl's exit codes (curl(1), EXIT CODES).
CURLE_USE_SSL_FAILED = 64
CURLE_PEER_FAILED_VERIFICATION = 60


def verifying_context() -> ssl.SSLContext:
    """A client context that trusts only the test CA and checks host names."""
    return ssl.create_default_context(cafile=TestCA.get().ca_cert)


def dot_stuffed(wire: bytes) -> bytes:
    """A message as RETR sends it between its status line and terminator."""
    return re.sub(rb"(?m)^\.", b"..", wire)


def wait_for_lines(log, pattern: str, count: int, start: int = 0):
    """Waits until `count` lines at index >= start match `pattern`."""
    rx = re.compile(pattern)
    for _ in range(count):
        log.wait_for(pattern, start=start)
        start = next(i for i in range(start, len(log.lines)) if rx.search(log.lines[i])) + 1


def certificate_der(path: str) -> bytes:
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


class TlsPopClient(PopClient):
    """PopClient that starts in TLS (implicit, RFC 8314) or switches to it (STLS)."""

    def __init__(self, port: int, host: str = "127.0.0.1", context: ssl.SSLContext | None = None,
                 implicit: bool = False, server_hostname: str = "127.0.0.1", timeout: float = TIMEOUT):
        if not implicit:
            super().__init__(port, host, timeout)
            return
        ReplyReader.__init__(self)
        raw = socket.create_connection((host, port), timeout=timeout)
        try:
            self.sock = (context or verifying_context()).wrap_socket(raw, server_hostname=server_hostname)
        except BaseException:
            raw.close()
            raise
        try:
            self.greeting = self.readline()
        except OSError:
            self.sock.close()
            raise

    def starttls(self, context: ssl.SSLContext | None = None, server_hostname: str = "127.0.0.1"):
        """The handshake after a +OK to STLS. Anything the server sent after
        that +OK would have been sent in the clear: there must be nothing."""
        assert self.buf == b"", f"bytes in the clear after STLS: {self.buf!r}"
        self.sock = (context or verifying_context()).wrap_socket(self.sock, server_hostname=server_hostname)

    def peer_der(self) -> bytes:
        return self.sock.getpeercert(binary_form=True)

    def capabilities(self) -> list[str]:
        status, body = self.multi("CAPA")
        assert status.startswith("+OK"), status
        return body.decode().splitlines()


class TlsTestCase(PoplarTestCase):
    """A TLS server per test, and clients for it."""

    def tls_client(self, server, implicit: bool = True, **kw) -> TlsPopClient:
        c = TlsPopClient(server.tls_port if implicit else server.port, implicit=implicit, **kw)
        self.addCleanup(c.close)
        if implicit:
            self.assertTrue(c.greeting.startswith(b"+OK"), c.greeting)
        return c

    def stls_client(self, server, **kw) -> TlsPopClient:
        c = self.tls_client(server, implicit=False)
        self.assertTrue(c.greeting.startswith(b"+OK"), c.greeting)
        self.assertEqual(c.cmd("STLS"), "+OK Begin TLS negotiation")
        c.starttls(**kw)
        return c

    def s_client(self, port: int, *args, stdin: bytes = b"", starttls: bool = False,
                 verify: bool = True) -> subprocess.CompletedProcess:
        """openssl s_client: -brief puts a summary ("Protocol version:",
        "Verification: OK") on stderr and the server's bytes on stdout; with
        -ign_eof it stays until the server closes, so a session ends in QUIT."""
        cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-brief", "-ign_eof", *args]
        if verify:
            cmd += ["-CAfile", TestCA.get().ca_cert, "-verify_return_error"]
        if starttls:
            cmd += ["-starttls", "pop3"]
        return subprocess.run(cmd, input=stdin, capture_output=True, timeout=CLIENT_TIMEOUT)


# --- 1. openssl s_client ---------------------------------------------------------

class OpenSslClientTest(TlsTestCase):
    """openssl s_client logs in and retrieves through STLS and implicit TLS,
    verifying the chain and the name; a wrong name fails verification."""

    def setUp(self):
        super().setUp()
        md = self.maildir("alice")
        self.big = SAMPLE_MESSAGES[-1]       # ~230 kB: many TLS records
        self.dots = SAMPLE_MESSAGES[1]       # dot-stuffing inside TLS
        md.deliver(self.big, stamp=1700000001)
        md.deliver(self.dots, stamp=1700000002)
        self.server = self.start_tls_server()

    SESSION = b"USER alice\r\nPASS secret1\r\nRETR 1\r\nRETR 2\r\nQUIT\r\n"

    def check_session(self, r: subprocess.CompletedProcess):
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        summary = r.stderr.decode(errors="replace")
        self.assertIn("Verification: OK", summary)   # chain and -verify_ip 127.0.0.1
        self.assertIn(b"+OK Logged in", r.stdout)
        self.assertIn(b"\r\n" + dot_stuffed(wire_bytes(self.big)) + b".\r\n", r.stdout)
        self.assertIn(b"\r\n" + dot_stuffed(wire_bytes(self.dots)) + b".\r\n", r.stdout)
        self.assertIn(b"+OK Bye", r.stdout)
        self.server.log.wait_for(r"session end user=alice ip=127\.0\.0\.1 retrieved=2 .*reason=quit")

    def test_stls_login_and_retr(self):
        r = self.s_client(self.server.port, "-verify_ip", "127.0.0.1", starttls=True, stdin=self.SESSION)
        self.check_session(r)

    def test_implicit_tls_login_and_retr(self):
        r = self.s_client(self.server.tls_port, "-verify_ip", "127.0.0.1", stdin=self.SESSION)
        self.assertTrue(r.stdout.startswith(b"+OK test.example POP3 server ready\r\n"), r.stdout[:200])
        self.check_session(r)

    def test_host_name_localhost_verifies(self):
        r = self.s_client(self.server.tls_port, "-verify_hostname", "localhost", stdin=b"QUIT\r\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"Verified peername: localhost", r.stderr)

    def test_wrong_host_name_fails_verification(self):
        for port, starttls in ((self.server.tls_port, False), (self.server.port, True)):
            with self.subTest(starttls=starttls):
                mark = len(self.server.log.lines)
                r = self.s_client(port, "-verify_hostname", "wrong.example", starttls=starttls,
                                  stdin=self.SESSION)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn(b"hostname mismatch", r.stderr)
                self.assertNotIn(b"+OK Logged in", r.stdout)
                # The client's alert ends the handshake on the server too.
                self.server.log.wait_for(r"tls handshake failed ip=127\.0\.0\.1 reason=.*bad certificate",
                                         start=mark)
                self.server.log.wait_for(r"session end user=- ip=127\.0\.0\.1 .*reason=tls-failed",
                                         start=mark)

    def test_unknown_issuer_fails_verification(self):
        """Trusting only the system's CAs, the test CA's certificate is refused."""
        r = self.s_client(self.server.tls_port, "-verify_return_error", verify=False, stdin=self.SESSION)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"unable to get local issuer certificate", r.stderr)
        self.assertNotIn(b"+OK", r.stdout)


# --- 2. STLS command rules and the STARTTLS injection class ----------------------

class StlsCommandTest(TlsTestCase):

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.server = self.start_tls_server()

    def test_commands_pipelined_behind_stls_are_discarded(self):
        """RFC 2595 section 4 (CVE-2011-0411 class): USER sent in the clear in
        the same write as STLS is never executed, so PASS after the handshake
        finds no user."""
        c = self.tls_client(self.server, implicit=False)
        c.send(b"STLS\r\nUSER alice\r\n")
        self.assertEqual(c.readline(), b"+OK Begin TLS negotiation\r\n")
        c.starttls()
        self.assertErr(c.cmd("PASS secret1"))
        self.assertNotIn("STLS", c.capabilities())
        c.login("alice", "secret1")
        total = sum(len(wire_bytes(m)) for m in self.msgs.values())
        self.assertEqual(c.cmd("STAT"), f"+OK {len(self.msgs)} {total}")
        self.assertOk(c.cmd("QUIT"))
        self.server.log.wait_for(r"session end user=alice ip=127\.0\.0\.1 .*reason=quit")

    def test_login_pipelined_behind_stls_is_discarded(self):
        """Even a whole USER/PASS behind STLS: after the handshake the session
        is still in AUTHORIZATION."""
        c = self.tls_client(self.server, implicit=False)
        c.send(b"STLS\r\nUSER alice\r\nPASS secret1\r\nSTAT\r\n")
        self.assertEqual(c.readline(), b"+OK Begin TLS negotiation\r\n")
        c.starttls()
        self.assertErr(c.cmd("STAT"))
        c.login("alice", "secret1")
        self.assertOk(c.cmd("STAT"))

    def test_user_given_before_stls_is_forgotten(self):
        c = self.tls_client(self.server, implicit=False)
        self.assertOk(c.cmd("USER alice"))
        self.assertEqual(c.cmd("STLS"), "+OK Begin TLS negotiation")
        c.starttls()
        self.assertErr(c.cmd("PASS secret1"))
        c.login("alice", "secret1")

    def test_capa_offers_stls_only_on_plain_connection_before_login(self):
        c = self.tls_client(self.server, implicit=False)
        self.assertIn("STLS", c.capabilities())
        c.login("alice", "secret1")
        self.assertNotIn("STLS", c.capabilities())
        self.assertNotIn("STLS", self.stls_client(self.server).capabilities())
        self.assertNotIn("STLS", self.tls_client(self.server).capabilities())

    def test_stls_twice(self):
        c = self.stls_client(self.server)
        self.assertEqual(c.cmd("STLS"), "-ERR This connection already uses TLS.")
        c.login("alice", "secret1")
        self.assertOk(c.cmd("STAT"))

    def test_stls_on_implicit_tls_port(self):
        c = self.tls_client(self.server)
        self.assertEqual(c.cmd("STLS"), "-ERR This connection already uses TLS.")
        c.login("alice", "secret1")
        self.assertOk(c.cmd("STAT"))

    def test_stls_after_login(self):
        c = self.tls_client(self.server, implicit=False)
        c.login("alice", "secret1")  # loopback: USER/PASS without TLS is allowed
        self.assertEqual(c.cmd("STLS"), "-ERR STLS is not valid after login.")
        # The session stays in the clear and usable.
        self.assertOk(c.cmd("STAT"))
        self.assertOk(c.cmd("QUIT"))

    def test_stls_without_certificate(self):
        plain = self.start_server()
        c = self.tls_client(plain, implicit=False)
        self.assertNotIn("STLS", c.capabilities())
        self.assertTrue(c.cmd("STLS").startswith("-ERR STLS is not available"))
        c.login("alice", "secret1")
        self.assertOk(c.cmd("STAT"))


# --- 3. curl -----------------------------------------------------------------------

@unittest.skipUnless(shutil.which("curl"), "Debian's curl is not installed")
class CurlTlsTest(TlsTestCase):

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.server = self.start_tls_server()

    def curl(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(["curl", "-s", "-S", "--max-time", str(TIMEOUT), "-u", "alice:secret1", *args],
                              capture_output=True, timeout=CLIENT_TIMEOUT)

    def list_and_retrieve(self, url: str, *tls_args):
        r = self.curl(url, "-X", "UIDL", *tls_args)
        self.assertEqual(r.returncode, 0, r.stderr)
        uids = dict(l.split(" ") for l in r.stdout.decode().splitlines())
        self.assertEqual(set(uids.values()), set(self.msgs))
        r = self.curl(url, *tls_args)
        self.assertEqual(r.returncode, 0, r.stderr)
        listing = dict(l.split(" ") for l in r.stdout.decode().splitlines())
        for num, octets in listing.items():
            self.assertEqual(int(octets), len(wire_bytes(self.msgs[uids[num]])), f"LIST {num}")
        for num in ("1", "5"):   # a small one and the big one
            r = self.curl(url + num, *tls_args)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, wire_bytes(self.msgs[uids[num]]), f"message {num}")

    def test_stls_with_ssl_reqd(self):
        ca = TestCA.get().ca_cert
        self.list_and_retrieve(f"pop3://127.0.0.1:{self.server.port}/", "--ssl-reqd", "--cacert", ca)
        r = self.curl(f"pop3://127.0.0.1:{self.server.port}/", "-v", "--ssl-reqd", "--cacert", ca)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"> STLS", r.stderr)
        self.assertIn(b"< +OK Begin TLS negotiation", r.stderr)

    def test_pop3s(self):
        self.list_and_retrieve(f"pop3s://127.0.0.1:{self.server.tls_port}/", "--cacert", TestCA.get().ca_cert)

    def test_refuses_without_the_ca(self):
        for url in (f"pop3://127.0.0.1:{self.server.port}/1", f"pop3s://127.0.0.1:{self.server.tls_port}/1"):
            with self.subTest(url=url):
                r = self.curl(url, "--ssl-reqd")
                self.assertEqual(r.returncode, CURLE_PEER_FAILED_VERIFICATION, r.stderr)
                self.assertEqual(r.stdout, b"")

    def test_ssl_reqd_refused_when_server_has_no_certificate(self):
        plain = self.start_server()
        r = self.curl(f"pop3://127.0.0.1:{plain.port}/1", "--ssl-reqd", "--cacert", TestCA.get().ca_cert)
        self.assertEqual(r.returncode, CURLE_USE_SSL_FAILED, r.stderr)
        self.assertEqual(r.stdout, b"")


# --- 4. Python's poplib ------------------------------------------------------------

class PoplibTlsTest(TlsTestCase):

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.server = self.start_tls_server()

    def retrieve_all(self, pop: poplib.POP3):
        pop.user("alice")
        pop.pass_("secret1")
        _, listing, _ = pop.uidl()
        self.assertEqual(len(listing), len(self.msgs))
        for entry in listing:
            num, uid = entry.decode().split(" ")
            _, lines, octets = pop.retr(int(num))
            self.assertEqual(b"\r\n".join(lines) + b"\r\n", wire_bytes(self.msgs[uid]), f"message {num}")
        self.assertTrue(pop.quit().startswith(b"+OK"))

    def test_stls(self):
        pop = poplib.POP3("127.0.0.1", self.server.port, timeout=TIMEOUT)
        self.addCleanup(pop.close)
        self.assertIn("STLS", pop.capa())
        self.assertTrue(pop.stls(verifying_context()).startswith(b"+OK"))
        self.assertNotIn("STLS", pop.capa())
        self.assertIn("USER", pop.capa())
        self.assertEqual(pop.sock.getpeercert(True), certificate_der(TestCA.get().cert))
        self.retrieve_all(pop)

    def test_pop3_ssl(self):
        pop = poplib.POP3_SSL("127.0.0.1", self.server.tls_port, timeout=TIMEOUT, context=verifying_context())
        self.addCleanup(pop.close)
        self.assertNotIn("STLS", pop.capa())
        self.retrieve_all(pop)

    def test_verification_failures(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            TlsPopClient(self.server.tls_port, implicit=True, server_hostname="wrong.example").close()
        with self.assertRaises(ssl.SSLCertVerificationError):
            TlsPopClient(self.server.tls_port, implicit=True, context=ssl.create_default_context()).close()
        c = self.tls_client(self.server, implicit=False)
        self.assertEqual(c.cmd("STLS"), "+OK Begin TLS negotiation")
        with self.assertRaises(ssl.SSLCertVerificationError):
            c.starttls(ssl.create_default_context())


# --- 5. mpop and fetchmail -----------------------------------------------------------

@unittest.skipUnless(shutil.which("mpop"), "Debian's mpop is not installed")
class MpopTlsTest(TlsTestCase):
    """mpop (GnuTLS) with STLS and with implicit TLS, trusting the test CA."""

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.server = self.start_tls_server()
        self.out = os.path.join(self.dir, "inbox")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.out, sub))

    def mpop(self, port: int, starttls: bool, trust_file: str) -> subprocess.CompletedProcess:
        conf = os.path.join(self.dir, "mpoprc")
        with open(conf, "w") as f:
            f.write("defaults\n"
                    "tls on\n"
                    f"tls_starttls {'on' if starttls else 'off'}\n"
                    f"tls_trust_file {trust_file}\n"
                    "received_header off\n"
                    "account default\n"
                    "host 127.0.0.1\n"
                    f"port {port}\n"
                    "user alice\n"
                    "password secret1\n"
                    "auth user\n"
                    f"timeout {int(TIMEOUT)}\n"
                    f"delivery maildir {self.out}\n"
                    f"uidls_file {os.path.join(self.dir, 'uidls')}\n"
                    "keep off\n")
        os.chmod(conf, 0o600)
        return subprocess.run(["mpop", "-C", conf, "-q", "default"], capture_output=True,
                              text=True, timeout=CLIENT_TIMEOUT, stdin=subprocess.DEVNULL,
                              env=dict(os.environ, HOME=self.dir))

    def fetched(self) -> list[bytes]:
        return sorted(read_dir_files(os.path.join(self.out, "new")))

    def check_fetch(self, port: int, starttls: bool):
        r = self.mpop(port, starttls, TestCA.get().ca_cert)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.fetched(), sorted(as_lf(wire_bytes(m)) for m in self.msgs.values()))
        self.assertEqual(self.md.uids(), set())
        self.server.log.wait_for(r"session end user=alice .*deleted=%d reason=quit" % len(self.msgs))

    def test_stls(self):
        self.check_fetch(self.server.port, starttls=True)

    def test_implicit_tls(self):
        self.check_fetch(self.server.tls_port, starttls=False)

    def test_untrusted_certificate_refused(self):
        r = self.mpop(self.server.tls_port, False, "/etc/ssl/certs/ca-certificates.crt")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("certificate", r.stderr)
        self.assertEqual(self.fetched(), [])
        self.assertEqual(self.md.uids(), set(self.msgs))


@unittest.skipUnless(shutil.which("fetchmail"), "Debian's fetchmail is not installed")
class FetchmailTlsTest(TlsTestCase):
    """fetchmail (OpenSSL) with STLS (sslproto without ssl) and with implicit
    TLS (ssl), sslcertck against the test CA. It checks the name it polls
    against DNS names only, so it polls "localhost"."""

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.server = self.start_tls_server()
        self.out_dir = os.path.join(self.dir, "fetched")
        self.home = os.path.join(self.dir, "fmhome")
        os.makedirs(self.out_dir)
        os.makedirs(self.home, mode=0o700)
        self.mda = os.path.join(self.dir, "deliver.sh")
        with open(self.mda, "w") as f:
            f.write(f'#!/bin/sh\nexec cat > "$(mktemp {self.out_dir}/msg.XXXXXX)"\n')
        os.chmod(self.mda, 0o755)

    def fetchmail(self, port: int, implicit: bool, certfile: str) -> subprocess.CompletedProcess:
        rc = os.path.join(self.home, "fetchmailrc")
        with open(rc, "w") as f:
            f.write("set no bouncemail\nset invisible\n"
                    f"poll localhost service {port} protocol pop3 auth password timeout 10\n"
                    '  user "alice" there with password "secret1" is "alice" here\n'
                    f"  options fetchall no rewrite {'ssl ' if implicit else ''}sslproto 'tls1.2+' "
                    f"sslcertck sslcertfile \"{certfile}\" mda \"{self.mda}\"\n")
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=self.home, FETCHMAILHOME=self.home)
        return subprocess.run(["fetchmail", "-f", rc, "--nosyslog", "-v",
                               "--pidfile", os.path.join(self.home, "fetchmail.pid")], env=env,
                              capture_output=True, text=True, timeout=CLIENT_TIMEOUT,
                              stdin=subprocess.DEVNULL)

    def check_fetch(self, port: int, implicit: bool):
        r = self.fetchmail(port, implicit, TestCA.get().ca_cert)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        transcript = r.stdout + r.stderr
        self.assertRegex(transcript, r"SSL/TLS: using protocol TLSv1\.[23]")
        self.assertNotIn("verification error", transcript)
        if not implicit:
            self.assertIn("POP3> STLS", transcript)
            self.assertIn("upgrade to TLS succeeded", transcript)
        got = sorted(read_dir_files(self.out_dir))
        self.assertEqual(got, sorted(as_lf(wire_bytes(m)) for m in self.msgs.values()))
        self.assertEqual(self.md.uids(), set(), "fetchmail deleted everything it fetched")
        self.server.log.wait_for(r"session end user=alice .*deleted=%d reason=quit" % len(self.msgs))

    def test_stls(self):
        self.check_fetch(self.server.port, implicit=False)

    def test_implicit_tls(self):
        self.check_fetch(self.server.tls_port, implicit=True)

    def test_untrusted_certificate_refused(self):
        r = self.fetchmail(self.server.tls_port, True, "/etc/ssl/certs/ca-certificates.crt")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("certificate verif", r.stdout + r.stderr)
        self.assertEqual(os.listdir(self.out_dir), [])
        self.assertEqual(self.md.uids(), set(self.msgs))


# --- 6. The handshake deadline -------------------------------------------------------

class HandshakeDeadlineTest(TlsTestCase):

    def setUp(self):
        super().setUp()
        self.sample_mailbox("alice")
        self.server = self.start_tls_server(tls_handshake_timeout=f"{int(HANDSHAKE_TIMEOUT)}s",
                                            login_timeout=f"{int(LOGIN_TIMEOUT)}s")

    def raw(self, port: int) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.addCleanup(s.close)
        return s

    @staticmethod
    def wait_closed(s: socket.socket) -> bytes:
        """Everything the server sends until it closes; fails after TIMEOUT."""
        data = b""
        try:
            while chunk := s.recv(4096):
                data += chunk
        except ConnectionResetError:
            pass
        return data

    def assert_served_normally(self):
        c = self.tls_client(self.server)
        c.login("alice", "secret1")
        self.assertOk(c.cmd("STAT"))
        c = self.stls_client(self.server)
        c.login("bob", "secret2")
        self.assertOk(c.cmd("STAT"))

    def test_silent_client_is_closed_at_the_handshake_deadline(self):
        """Implicit TLS and after STLS: a client that never sends a ClientHello
        is cut off after tls_handshake_timeout, far before login_timeout."""
        start = time.monotonic()
        implicit = self.raw(self.server.tls_port)
        stls = self.raw(self.server.port)
        stls.sendall(b"STLS\r\n")
        self.assertEqual(self.wait_closed(implicit), b"")
        implicit_after = time.monotonic() - start
        stls_bytes = self.wait_closed(stls)
        stls_after = time.monotonic() - start
        self.assertRegex(stls_bytes, rb"\A\+OK [^\r\n]*\r\n\+OK Begin TLS negotiation\r\n\Z")
        for after in (implicit_after, stls_after):
            self.assertGreaterEqual(after, HANDSHAKE_TIMEOUT * 0.9)
            self.assertLess(after, LOGIN_TIMEOUT / 2)
        wait_for_lines(self.server.log, r"tls handshake failed ip=127\.0\.0\.1 reason=timeout$", 2)
        wait_for_lines(self.server.log, r"session end user=- ip=127\.0\.0\.1 .*reason=tls-failed", 2)
        self.assert_served_normally()

    def test_sigterm_during_handshake_is_a_shutdown(self):
        """A session waiting for a ClientHello when the server stops ends as
        a shutdown, at once: it is neither a handshake failure nor a timeout."""
        c = self.tls_client(self.server, implicit=False)
        self.assertEqual(c.cmd("STLS"), "+OK Begin TLS negotiation")
        start = time.monotonic()
        self.assertEqual(self.server.terminate(), 0, self.server.log.text())
        self.assertLess(time.monotonic() - start, HANDSHAKE_TIMEOUT * 0.9, "shutdown waited for the deadline")
        self.assertTrue(c.at_eof())
        log = self.server.log.text()
        self.assertRegex(log, r"session end user=- ip=127\.0\.0\.1 .*reason=shutdown")
        self.assertNotIn("tls handshake failed", log)

    def test_garbage_instead_of_client_hello(self):
        for starttls in (False, True):
            with self.subTest(starttls=starttls):
                mark = len(self.server.log.lines)
                if starttls:
                    # Bytes in the same write as STLS would be discarded: the
                    # garbage comes after the reply.
                    c = self.tls_client(self.server, implicit=False)
                    self.assertEqual(c.cmd("STLS"), "+OK Begin TLS negotiation")
                    s = c.sock
                else:
                    s = self.raw(self.server.tls_port)
                start = time.monotonic()
                s.sendall(b"USER alice\r\nPASS secret1\r\n" + b"\x00\xff garbage " * 64)
                self.wait_closed(s)
                self.assertLess(time.monotonic() - start, LOGIN_TIMEOUT / 2)
                m = self.server.log.wait_for(r"tls handshake failed ip=127\.0\.0\.1 reason=(.+)$", start=mark)
                self.assertNotEqual(m.group(1), "timeout", "garbage must fail the handshake at once")
                self.server.log.wait_for(r"session end user=- ip=127\.0\.0\.1 .*reason=tls-failed", start=mark)
        self.assert_served_normally()


# --- 7. Protocol versions ------------------------------------------------------------

class ProtocolVersionTest(TlsTestCase):

    def version_of(self, port: int, flag: str, *args, starttls: bool = False) -> str | None:
        """The version s_client negotiated with `flag`, None if it could not."""
        mark = len(self.server.log.lines)
        r = self.s_client(port, flag, *args, starttls=starttls, stdin=b"QUIT\r\n")
        m = re.search(rb"Protocol version: (\S+)", r.stderr)
        if r.returncode != 0:
            self.assertIsNone(m)
            self.server.log.wait_for(r"tls handshake failed ip=127\.0\.0\.1 reason=unsupported protocol",
                                     start=mark)
            return None
        self.assertIn(b"+OK Bye", r.stdout)
        return m.group(1).decode()

    # The client must be allowed to offer TLS 1.1 (Debian's default is 1.2+).
    OLD = ("-cipher", "DEFAULT@SECLEVEL=0")

    def test_default_minimum_is_tls_1_2(self):
        self.server = self.start_tls_server()
        for port, starttls in ((self.server.tls_port, False), (self.server.port, True)):
            with self.subTest(starttls=starttls):
                self.assertIsNone(self.version_of(port, "-tls1_1", *self.OLD, starttls=starttls))
                self.assertEqual(self.version_of(port, "-tls1_2", starttls=starttls), "TLSv1.2")
                self.assertEqual(self.version_of(port, "-tls1_3", starttls=starttls), "TLSv1.3")

    def test_minimum_tls_1_3(self):
        self.server = self.start_tls_server(tls_min_version="TLSv1.3")
        for port, starttls in ((self.server.tls_port, False), (self.server.port, True)):
            with self.subTest(starttls=starttls):
                self.assertIsNone(self.version_of(port, "-tls1_2", starttls=starttls))
                self.assertEqual(self.version_of(port, "-tls1_3", starttls=starttls), "TLSv1.3")


# --- 8. SIGHUP reloads the certificate -------------------------------------------------

class CertificateReloadTest(TlsTestCase):

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        ca = TestCA.get()
        # The server reads copies, so replacing them leaves the shared CA alone.
        self.cert = os.path.join(self.dir, "tls.pem")
        self.key = os.path.join(self.dir, "tls.key")
        shutil.copy(ca.cert, self.cert)
        shutil.copy(ca.key, self.key)
        self.server = self.start_tls_server(tls_certificate=self.cert, tls_private_key=self.key)

    def reload(self, expect: str) -> re.Match:
        mark = len(self.server.log.lines)
        self.server.signal(signal.SIGHUP)
        return self.server.log.wait_for(expect, start=mark)

    def test_new_sessions_get_the_new_certificate_old_ones_go_on(self):
        der_a = certificate_der(TestCA.get().cert)
        old = self.tls_client(self.server)
        self.assertEqual(old.peer_der(), der_a)
        old.login("alice", "secret1")
        old_stls = self.stls_client(self.server)
        self.assertEqual(old_stls.peer_der(), der_a)

        cert_b, key_b = TestCA.get().issue("reloaded", ["DNS:localhost", "IP:127.0.0.1"])
        der_b = certificate_der(cert_b)
        self.assertNotEqual(der_a, der_b)
        shutil.copy(cert_b, self.cert)
        shutil.copy(key_b, self.key)
        self.reload(r"reloaded config.*new sessions use the certificate read now")

        self.assertEqual(self.tls_client(self.server).peer_der(), der_b)
        self.assertEqual(self.stls_client(self.server).peer_der(), der_b)
        self.assertEqual(self.stls_client(self.server).sock.getpeercert()["subject"],
                         ((("commonName", "reloaded"),),))

        # The sessions opened before go on with their own TLS state.
        total = sum(len(wire_bytes(m)) for m in self.msgs.values())
        self.assertEqual(old.cmd("STAT"), f"+OK {len(self.msgs)} {total}")
        status, body = old.multi("RETR 5")
        self.assertOk(status)
        self.assertEqual(len(body), len(wire_bytes(SAMPLE_MESSAGES[-1])))
        self.assertOk(old.cmd("QUIT"))
        self.assertTrue(old.at_eof())
        old_stls.login("bob", "secret2")
        self.assertOk(old_stls.cmd("STAT"))
        self.assertOk(old_stls.cmd("QUIT"))

    def test_broken_key_keeps_the_old_certificate(self):
        der_a = certificate_der(TestCA.get().cert)
        with open(self.key, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
        m = self.reload(r"reload failed, keeping the old config: (.*)$")
        self.assertIn(self.key, m.group(1))
        c = self.tls_client(self.server)
        self.assertEqual(c.peer_der(), der_a)
        c.login("alice", "secret1")
        self.assertOk(c.cmd("STAT"))

        # A key of another certificate is refused the same way.
        _, other_key = TestCA.get().issue("stranger", ["DNS:localhost"])
        shutil.copy(other_key, self.key)
        m = self.reload(r"reload failed, keeping the old config: (.*)$")
        self.assertIn(self.key, m.group(1))
        self.assertEqual(self.stls_client(self.server).peer_der(), der_a)


# --- 9. check-config -------------------------------------------------------------------

class CheckConfigTlsTest(TlsTestCase):

    def check(self, **overrides) -> subprocess.CompletedProcess:
        path = self.write_config(**self.tls_config(**overrides))
        return self.run_poplar("check-config", "--config", path)

    def test_shows_the_certificate_and_settings(self):
        r = self.check(tls_min_version="TLSv1.3")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"poplar: tls: certificate subject=CN=server issuer=CN=poplar test CA "
                                   r"expires=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n")
        self.assertIn("poplar: tls: TLSv1.3 and newer; STLS on 127.0.0.1:0; implicit TLS on 127.0.0.1:0",
                      r.stderr)
        self.assertIn(f'tls_certificate = "{TestCA.get().cert}"', r.stdout)
        self.assertIn('tls_min_version = "TLSv1.3"', r.stdout)

    def test_missing_key_file(self):
        missing = os.path.join(self.dir, "no-such.key")
        r = self.check(tls_private_key=missing)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"poplar: tls: cannot use tls_private_key " + re.escape(missing) +
                         r": (?i:no such file)")

    def test_missing_certificate_file(self):
        missing = os.path.join(self.dir, "no-such.pem")
        r = self.check(tls_certificate=missing)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"poplar: tls: cannot use tls_certificate " + re.escape(missing) +
                         r": (?i:no such file)")

    def test_key_of_another_certificate(self):
        ca = TestCA.get()
        ca_key = os.path.join(ca.dir, "ca.key")
        r = self.check(tls_private_key=ca_key)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(ca_key, r.stderr)
        self.assertRegex(r.stderr, r"key values mismatch|does not belong")

    def test_serve_refuses_to_start_with_a_missing_key(self):
        path = self.write_config(**self.tls_config(tls_private_key=os.path.join(self.dir, "no-such.key")))
        r = self.run_poplar("serve", "--config", path)
        self.assertNotEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"poplar: cannot start: cannot use tls_private_key .*: No such file")
        self.assertNotIn("poplar: ready", r.stderr)


# --- 10. Plaintext passwords off loopback ------------------------------------------------

class LoopbackPlaintextTest(TlsTestCase):

    def test_user_pass_allowed_on_loopback_without_tls(self):
        self.sample_mailbox("alice")
        server = self.start_tls_server()
        c = self.tls_client(server, implicit=False)
        caps = c.capabilities()
        self.assertIn("USER", caps)
        self.assertIn("STLS", caps)
        self.assertRegex(next(l for l in caps if l.startswith("SASL ")), r"\bPLAIN\b.*\bLOGIN\b")
        c.login("alice", "secret1")
        self.assertOk(c.cmd("STAT"))


# The client run inside the namespace: a list of commands, "STLS!" for STLS
# and the handshake, "*" in front of a command with a multi-line reply. It
# prints the replies as JSON.
_NS_CLIENT = r"""
import json, ssl, sys
sys.path.insert(0, sys.argv[1])
from poplar_fixture import PopClient
host, port, cafile, steps = sys.argv[2], int(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])
c = PopClient(port, host)
out = [c.greeting.decode("latin-1").rstrip("\r\n")]
for step in steps:
    if step == "STLS!":
        reply = c.cmd("STLS")
        out.append(reply)
        if reply.startswith("+OK"):
            c.sock = ssl.create_default_context(cafile=cafile).wrap_socket(c.sock, server_hostname=host)
            out.append(c.sock.version())
    elif step.startswith("*"):
        status, body = c.multi(step[1:])
        out.append([status, body.decode("latin-1")])
    else:
        out.append(c.cmd(step))
c.close()
print(json.dumps(out))
"""


class NetnsPlaintextTest(TlsTestCase):
    """A client on another host: a network namespace joined to this one by a
    veth pair. Passwords in the clear need STLS first, unless the listener is
    in allow_plaintext_auth."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if os.geteuid() != 0 or not shutil.which("ip"):
            raise unittest.SkipTest("needs root and iproute2 to make a network namespace")
        tag = f"poplar{os.getpid()}"
        cls.netns = tag
        cls.host_if, cls.ns_if = f"pvh{os.getpid()}", f"pvn{os.getpid()}"
        used = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True,
                              timeout=TIMEOUT).stdout
        free = [n for n in [os.getpid() % 250] + list(range(250)) if f" 10.203.{n}." not in used]
        subnet = ipaddress.ip_network(f"10.203.{free[0]}.0/24")
        cls.host_ip, cls.client_ip = str(subnet[1]), str(subnet[2])

        def ip(*args, ns=False):
            cmd = (["ip", "netns", "exec", cls.netns] if ns else []) + ["ip", *args]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
            if r.returncode != 0:
                raise unittest.SkipTest(f"cannot make a network namespace here: {' '.join(cmd)}: "
                                        f"{r.stderr.strip()}")

        def remove():
            for cmd in (["ip", "netns", "del", cls.netns], ["ip", "link", "del", cls.host_if]):
                subprocess.run(cmd, capture_output=True, timeout=TIMEOUT)

        cls.addClassCleanup(remove)
        ip("netns", "add", cls.netns)
        ip("link", "add", cls.host_if, "type", "veth", "peer", "name", cls.ns_if)
        ip("link", "set", cls.ns_if, "netns", cls.netns)
        ip("addr", "add", f"{cls.host_ip}/24", "dev", cls.host_if)
        ip("link", "set", cls.host_if, "up")
        ip("addr", "add", f"{cls.client_ip}/24", "dev", cls.ns_if, ns=True)
        ip("link", "set", cls.ns_if, "up", ns=True)
        ip("link", "set", "lo", "up", ns=True)
        # A certificate for the address the client connects to.
        cls.cert, cls.key = TestCA.get().issue(f"netns{os.getpid()}", [f"IP:{cls.host_ip}"])

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.client_script = os.path.join(self.dir, "ns_client.py")
        with open(self.client_script, "w") as f:
            f.write(_NS_CLIENT)
        self.address = f"{self.host_ip}:0"

    def server_for(self, **overrides):
        return self.start_tls_server(listen=[self.address], listen_tls=[], tls_certificate=self.cert,
                                     tls_private_key=self.key, **overrides)

    def remote(self, server, *steps: str) -> list:
        """Runs the steps from inside the namespace; returns the greeting and replies."""
        r = subprocess.run(["ip", "netns", "exec", self.netns, sys.executable, self.client_script,
                            os.path.dirname(os.path.abspath(__file__)), self.host_ip, str(server.port),
                            TestCA.get().ca_cert, json.dumps(list(steps))],
                           capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_plaintext_refused_until_stls(self):
        server = self.server_for()
        out = self.remote(server, "*CAPA", "USER alice", "AUTH PLAIN", "STLS!", "*CAPA",
                          "USER alice", "PASS secret1", "STAT", "QUIT")
        greeting, capa, user, auth_plain, stls, version, capa_tls, user2, pass2, stat, quit = out
        self.assertTrue(greeting.startswith("+OK"), greeting)
        caps = capa[1].splitlines()
        self.assertIn("STLS", caps)
        self.assertNotIn("USER", caps)
        sasl = next((l for l in caps if l.startswith("SASL")), "SASL")
        self.assertNotRegex(sasl, r"\b(PLAIN|LOGIN)\b")
        self.assertTrue(user.startswith("-ERR [AUTH]"), user)
        self.assertTrue(auth_plain.startswith("-ERR"), auth_plain)
        self.assertEqual(stls, "+OK Begin TLS negotiation")
        self.assertIn(version, ("TLSv1.2", "TLSv1.3"))
        caps = capa_tls[1].splitlines()
        self.assertIn("USER", caps)
        self.assertNotIn("STLS", caps)
        self.assertRegex(next(l for l in caps if l.startswith("SASL ")), r"\bPLAIN\b.*\bLOGIN\b")
        self.assertOk(user2)
        self.assertOk(pass2)
        self.assertTrue(stat.startswith(f"+OK {len(self.msgs)} "), stat)
        self.assertOk(quit)
        server.log.wait_for(r"session end user=alice ip=%s .*reason=quit" % re.escape(self.client_ip))

    def test_allow_plaintext_auth_listener(self):
        server = self.server_for(allow_plaintext_auth=[self.address])
        out = self.remote(server, "*CAPA", "USER alice", "PASS secret1", "STAT", "QUIT")
        _, capa, user, password, stat, quit = out
        caps = capa[1].splitlines()
        self.assertIn("USER", caps)
        self.assertIn("STLS", caps)
        self.assertOk(user)
        self.assertOk(password)
        self.assertTrue(stat.startswith(f"+OK {len(self.msgs)} "), stat)
        server.log.wait_for(r"session end user=alice ip=%s .*reason=quit" % re.escape(self.client_ip))


if __name__ == "__main__":
    unittest.main()
