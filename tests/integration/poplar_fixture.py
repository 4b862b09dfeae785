"""Shared fixture for the black-box tests: start/stop a real poplar, build its
passwd-file and Maildirs in a private temp dir, and talk POP3 over raw sockets.

Every test gets its own temp dir and its own server; every process started here
is killed by pid in a cleanup, even when the test fails.
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

POPLAR_BIN = os.environ.get("POPLAR_BIN", "")

# Upper bound for anything we wait on: under ASan the server is 2-3x slower.
TIMEOUT = 10.0

SANITIZER_REPORT = re.compile(r"(ERROR|WARNING): (Address|Leak|Thread|UndefinedBehavior)Sanitizer|runtime error:")

_LISTENING = re.compile(r"poplar: listening on (\S+):(\d+)( tls)?$")


class TestCA:
    """A certificate authority made for the tests with the openssl command, and
    a server certificate it signed for localhost and 127.0.0.1. Made once per
    test process (key generation is the slow part) and removed at exit."""

    _made: "TestCA | None" = None

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="poplar-ca-")
        self.ca_cert = os.path.join(self.dir, "ca.pem")
        self.cert = os.path.join(self.dir, "server.pem")
        self.key = os.path.join(self.dir, "server.key")
        self.issue("server", ["DNS:localhost", "IP:127.0.0.1"])

    def _openssl(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=TIMEOUT)

    def issue(self, name: str, alt_names: list[str]) -> tuple[str, str]:
        """A certificate and key signed by this CA (the CA itself on first use)."""
        d = self.dir
        if not os.path.exists(self.ca_cert):
            self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/ca.key",
                          "-out", self.ca_cert, "-days", "2", "-subj", "/CN=poplar test CA")
        cert, key = f"{d}/{name}.pem", f"{d}/{name}.key"
        self._openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", f"{d}/{name}.csr",
                      "-subj", f"/CN={name}")
        with open(f"{d}/{name}.ext", "w") as f:
            f.write("subjectAltName=" + ",".join(alt_names) + "\n")
        self._openssl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", self.ca_cert, "-CAkey", f"{d}/ca.key",
                      "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", f"{d}/{name}.ext")
        return cert, key

    @classmethod
    def get(cls) -> "TestCA":
        if cls._made is None:
            cls._made = TestCA()
            atexit.register(shutil.rmtree, cls._made.dir, True)
        return cls._made


def wire_bytes(raw: bytes) -> bytes:
    """What RETR sends for a file, before dot-stuffing: every bare LF becomes
    CRLF, and a CRLF is appended when the file does not end with LF."""
    out = re.sub(rb"(?<!\r)\n", b"\r\n", raw)
    if raw and not raw.endswith(b"\n"):
        out += b"\r\n"
    return out


def header_block(raw: bytes) -> bytes:
    """The wire bytes of the headers and the blank line after them (TOP n 0)."""
    wire = wire_bytes(raw)
    end = wire.find(b"\r\n\r\n")
    assert end >= 0, "test message without a header/body separator"
    return wire[: end + 4]


def dot_unstuff(body: bytes) -> bytes:
    """Undoes RFC 1939 byte-stuffing of a multi-line body (terminator removed)."""
    lines = body.split(b"\r\n")
    return b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)


def as_lf(data: bytes) -> bytes:
    """What a client that stores mail with LF line ends should have written."""
    return data.replace(b"\r\n", b"\n")


def read_dir_files(path: str) -> list[bytes]:
    out = []
    for name in sorted(os.listdir(path)):
        with open(os.path.join(path, name), "rb") as f:
            out.append(f.read())
    return out


def sha512_crypt(password: str, salt: str = "abcdefgh") -> str:
    """A {SHA512-CRYPT} secret made by openssl, as `doveadm pw` would make it."""
    out = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, password],
                         check=True, capture_output=True, text=True, timeout=TIMEOUT)
    return "{SHA512-CRYPT}" + out.stdout.strip()


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Maildir:
    """One user's Maildir; messages are delivered into new/ as an MTA would."""

    _counter = 0

    def __init__(self, path: str):
        self.path = path
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(path, sub), exist_ok=True)

    def deliver(self, raw: bytes, with_vsize: bool = True, stamp: int | None = None) -> str:
        """Writes `raw` into new/ and returns its UIDL (the base name)."""
        Maildir._counter += 1
        n = Maildir._counter
        stamp = stamp if stamp is not None else 1700000000 + n
        name = f"{stamp}.M{n}P{os.getpid()}.test,S={len(raw)}"
        if with_vsize:
            name += f",W={len(wire_bytes(raw))}"
        tmp = os.path.join(self.path, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(raw)
        os.rename(tmp, os.path.join(self.path, "new", name))
        return name

    def find(self, uid: str) -> str | None:
        """Path of the message with this UIDL in new/ or cur/, or None."""
        for sub in ("new", "cur"):
            d = os.path.join(self.path, sub)
            for entry in os.listdir(d):
                if entry.split(":", 1)[0] == uid:
                    return os.path.join(d, entry)
        return None

    def uids(self) -> set[str]:
        return {e.split(":", 1)[0]
                for sub in ("new", "cur") for e in os.listdir(os.path.join(self.path, sub))}


# A small mailbox with the shapes that matter for sizes and dot-stuffing.
SAMPLE_MESSAGES = [
    b"From: bob@example.org\nTo: alice@test.example\nSubject: one\n\nHello Alice.\n",
    b"From: carol@example.org\nSubject: dots\n\n.leading dot\n..two dots\n.\nend\n",
    b"From: dave@example.org\nSubject: no final newline\n\nlast line without LF",
    b"From: erin@example.org\r\nSubject: crlf already\r\n\r\nbody\r\nmore\r\n",
    b"From: frank@example.org\nSubject: big\n\n" + b"".join(
        b"line %05d of a larger message, padded to look like text.\n" % i for i in range(4000)),
]


class LogReader:
    """Reads a process's stderr in a background thread into a list of lines."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._eof = False
        self._thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._thread.start()

    def _run(self, stream):
        for raw in iter(stream.readline, b""):
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = TIMEOUT, start: int = 0) -> re.Match:
        """Waits until a line at index >= start matches `pattern` (regex search)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            i = start
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return m
                    i += 1
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    raise AssertionError(f"no log line matching {pattern!r}; log:\n" + self.text())
                self._cond.wait(left)

    def text(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def join(self, timeout: float = TIMEOUT):
        self._thread.join(timeout)


class Server:
    """A running `poplar serve`; port is learned from its log, never guessed."""

    def __init__(self, config_path: str, extra_args=(), env=None):
        self.config_path = config_path
        self.terminated = False
        self.proc = subprocess.Popen([POPLAR_BIN, "serve", "--config", config_path, *extra_args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        self.log = LogReader(self.proc.stderr)
        self.ports: list[int] = []       # plain listeners (listen), in config order
        self.tls_ports: list[int] = []   # implicit-TLS listeners (listen_tls)
        self.addresses: list[tuple[str, int]] = []
        try:
            self.log.wait_for(r"poplar: ready$")
        except AssertionError:
            self.kill()
            raise
        for line in self.log.lines:
            m = _LISTENING.search(line)
            if m:
                (self.tls_ports if m.group(3) else self.ports).append(int(m.group(2)))
                self.addresses.append((m.group(1).strip("[]"), int(m.group(2))))
        if not self.ports and not self.tls_ports:
            self.kill()
            raise AssertionError("no 'listening on' line before 'ready':\n" + self.log.text())
        self.port = self.ports[0] if self.ports else None
        self.tls_port = self.tls_ports[0] if self.tls_ports else None

    def round_trip(self):
        """One connection served end to end: the event loops (and signal handlers) run."""
        c = PopClient(self.port)
        try:
            assert c.greeting.startswith(b"+OK"), c.greeting
            assert c.cmd("QUIT").startswith("+OK")
        finally:
            c.close()

    def running(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig):
        if self.running():
            os.kill(self.proc.pid, sig)

    def terminate(self, timeout: float = TIMEOUT) -> int:
        """SIGTERM and wait; returns the exit status (kills it if it hangs).
        The caller owns the check of the status; stop() will not repeat it."""
        self.terminated = True
        self.signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("poplar did not exit within %ss of SIGTERM" % timeout)
        self.log.join()
        return status

    def stop(self):
        """Cleanup: SIGTERM (SIGKILL if it hangs), then fail on a sanitizer report
        or a non-zero exit, so every test also checks a clean shutdown under ASan."""
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("poplar ignored SIGTERM for %ss:\n%s" % (TIMEOUT, self.log.text()))
        self.kill()
        if self.terminated:
            return
        log = self.log.text()
        if SANITIZER_REPORT.search(log):
            raise AssertionError("sanitizer report from poplar:\n" + log)
        if self.proc.returncode not in (0, -signal.SIGKILL):
            raise AssertionError(f"poplar exited with status {self.proc.returncode}:\n{log}")

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(TIMEOUT)
        self.log.join()
        if self.proc.stderr:
            self.proc.stderr.close()


class ReplyReader:
    """Splits server bytes into status lines and multi-line bodies.
    On its own it parses a fixed byte string (e.g. a whole pipelined exchange)."""

    def __init__(self, data: bytes = b""):
        self.buf = data

    def _fill(self) -> bool:
        return False

    def readline(self) -> bytes:
        """One line including its CRLF; b'' at EOF (a partial line is returned as is)."""
        while b"\r\n" not in self.buf:
            if not self._fill():
                line, self.buf = self.buf, b""
                return line
        i = self.buf.index(b"\r\n") + 2
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def read_multiline(self) -> bytes:
        """The body of a multi-line reply, terminator removed, dots unstuffed."""
        end = None
        while True:
            if self.buf.startswith(b".\r\n"):
                end = 0
            else:
                j = self.buf.find(b"\r\n.\r\n")
                end = j + 2 if j >= 0 else None
            if end is not None:
                break
            if not self._fill():
                raise AssertionError("connection closed inside a multi-line reply")
        body, self.buf = self.buf[:end], self.buf[end + 3:]
        return dot_unstuff(body)

    def read_until_eof(self) -> bytes:
        """Everything the server sends until it closes (tolerates a reset)."""
        try:
            while self._fill():
                pass
        except ConnectionResetError:
            pass
        data, self.buf = self.buf, b""
        return data


class PopClient(ReplyReader):
    """A raw POP3 client over one socket: exact bytes, no client library."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = TIMEOUT,
                 read_greeting: bool = True):
        super().__init__()
        self.sock = socket.create_connection((host, port), timeout=timeout)
        try:
            self.greeting = self.readline() if read_greeting else None
        except OSError:
            self.sock.close()
            raise

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def cmd(self, line: str | bytes) -> str:
        """Sends one command, returns its status line (without CRLF) as text."""
        if isinstance(line, str):
            line = line.encode()
        self.send(line + b"\r\n")
        return self.readline().decode("latin-1").rstrip("\r\n")

    def multi(self, line: str) -> tuple[str, bytes]:
        """A command with a multi-line reply: (status, body) — body only on +OK."""
        status = self.cmd(line)
        body = self.read_multiline() if status.startswith("+OK") else b""
        return status, body

    def login(self, user: str, password: str):
        r = self.cmd(f"USER {user}")
        assert r.startswith("+OK"), r
        r = self.cmd(f"PASS {password}")
        assert r.startswith("+OK"), r

    def at_eof(self) -> bool:
        """True when the server has closed (EOF or reset) with nothing more sent."""
        try:
            return self.buf == b"" and not self._fill()
        except ConnectionResetError:
            return True


class PoplarTestCase(unittest.TestCase):
    """Base class: a temp dir per test, a passwd-file, Maildirs and servers."""

    # Users every test gets: name -> password-file secret; plain passwords in PASSWORDS.
    PASSWORDS = {"alice": "secret1", "bob": "secret2"}

    def setUp(self):
        if not POPLAR_BIN or not os.access(POPLAR_BIN, os.X_OK):
            self.fail(f"POPLAR_BIN={POPLAR_BIN!r} is not an executable poplar binary")
        self.dir = tempfile.mkdtemp(prefix="poplar-it-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.mail_root = os.path.join(self.dir, "mail")
        os.makedirs(self.mail_root)
        self.passwd_path = os.path.join(self.dir, "users")
        self.users = {u: "{PLAIN}" + p for u, p in self.PASSWORDS.items()}
        self.write_passwd()

    # --- data -----------------------------------------------------------------

    def write_passwd(self):
        with open(self.passwd_path, "w") as f:
            f.write("# poplar integration test users\n")
            for i, (user, secret) in enumerate(self.users.items()):
                f.write(f"{user}:{secret}:{1000 + i}:{1000 + i}::/home/{user}::\n")

    def maildir(self, user: str) -> Maildir:
        return Maildir(os.path.join(self.mail_root, user))

    def sample_mailbox(self, user: str = "alice") -> tuple[Maildir, dict[str, bytes]]:
        """Delivers SAMPLE_MESSAGES (alternating with/without ,W=); uid -> raw."""
        md = self.maildir(user)
        msgs = {}
        for i, raw in enumerate(SAMPLE_MESSAGES):
            msgs[md.deliver(raw, with_vsize=(i % 2 == 0))] = raw
        return md, msgs

    # --- config and server ----------------------------------------------------

    def config(self, **overrides) -> dict:
        cfg = {
            "listen": ["127.0.0.1:0"],
            "passwd_file": self.passwd_path,
            "mail_path": os.path.join(self.mail_root, "%u"),
            "hostname": "test.example",
            "apop": False,
            "last_command": True,
            "auth_failure_delay": "100ms",
            "idle_timeout": "10s",
            "login_timeout": "10s",
            "max_line_length": 4096,
            "max_connections": 1000,
            "max_connections_per_ip": 20,
            "max_bad_commands_before_login": 3,
            "max_bad_commands": 20,
            "workers": 2,
        }
        cfg.update(overrides)
        return cfg

    def tls_config(self, **overrides) -> dict:
        """Config overrides for TLS: the test CA's certificate, STLS on the
        plain listener and an implicit-TLS listener on a free port."""
        ca = TestCA.get()
        cfg = {"tls_certificate": ca.cert, "tls_private_key": ca.key, "listen_tls": ["127.0.0.1:0"]}
        cfg.update(overrides)
        return cfg

    def start_tls_server(self, extra_args=(), **overrides) -> Server:
        """A server with STLS on `port` and implicit TLS on `tls_port`."""
        return self.start_server(extra_args, **self.tls_config(**overrides))

    def write_config(self, name: str = "poplar.toml", **overrides) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            for key, value in self.config(**overrides).items():
                f.write(f"{key} = {toml_value(value)}\n")
        return path

    def start_server(self, extra_args=(), config_path: str | None = None, **overrides) -> Server:
        path = config_path or self.write_config(**overrides)
        server = Server(path, extra_args)
        self.addCleanup(server.stop)
        return server

    def connect(self, server: Server, **kw) -> PopClient:
        client = PopClient(server.port, **kw)
        self.addCleanup(client.close)
        return client

    def run_poplar(self, *args, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
        """Runs a one-shot subcommand (check-config, --help) and returns its result."""
        return subprocess.run([POPLAR_BIN, *args], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=timeout)

    def assertOk(self, reply: str, msg=None):
        self.assertTrue(reply.startswith("+OK"), msg or f"expected +OK, got {reply!r}")

    def assertErr(self, reply: str, code: str | None = None, msg=None):
        self.assertTrue(reply.startswith("-ERR"), msg or f"expected -ERR, got {reply!r}")
        if code is not None:
            self.assertTrue(reply.startswith(f"-ERR [{code}]"),
                            msg or f"expected -ERR [{code}], got {reply!r}")
