"""The real Dovecot and Courier POP3 servers from Debian, run privately by a
test on its own Maildirs, so that poplar's UIDLs can be compared with theirs.

Dovecot: `dovecot -F` with a config written into the test's temp dir (its own
base_dir, state_dir and log, a passwd-file, a free 127.0.0.1 port); nothing of
/etc/dovecot is read and no system Dovecot is started. Every start is paired
with a stop in the test's cleanup (SIGTERM to the master, which ends its
children; SIGKILL if it hangs).

Courier: Debian's courier-pop conflicts with dovecot-pop3d (both provide
pop3-server), so it is not installed: scripts/fetch-courier.sh unpacks the
packages into build/courier-root, and the test runs Courier's own POP3
session program, courierpop3d, on a pipe. That is the program that reads
and writes courierpop3dsizelist and answers UIDL after Courier's login
front end (couriertcpd, pop3login, authdaemond) has authenticated the user;
only that front end is left out.
"""
import os
import signal
import socket
import subprocess
import time

from poplar_fixture import TIMEOUT

DOVECOT_BIN = "/usr/sbin/dovecot"
# The unprivileged account Dovecot's mail processes run as (Dovecot refuses
# root); the test gives the Maildirs to it.
MAIL_UID = MAIL_GID = 65534

_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COURIER_ROOT = os.environ.get("POPLAR_COURIER_ROOT", os.path.join(_REPO, "build", "courier-root"))
COURIER_POP3D = os.path.join(COURIER_ROOT, "usr/lib/courier/courier/courierpop3d")


def dovecot_missing() -> str | None:
    """Why Dovecot cannot be run here, or None."""
    if not os.access(DOVECOT_BIN, os.X_OK):
        return "dovecot-pop3d is not installed (scripts/install-deps.sh installs it)"
    if os.geteuid() != 0:
        return "Dovecot's mail processes switch to the mail user: the test must run as root"
    return None


def courier_missing() -> str | None:
    if not os.access(COURIER_POP3D, os.X_OK):
        return f"no courierpop3d under {COURIER_ROOT} (scripts/fetch-courier.sh unpacks Debian's courier-pop there)"
    return None


def give_to_mail_user(path: str):
    """chown -R the Maildir to the account Dovecot's mail processes use."""
    for root, dirs, files in os.walk(path):
        os.chown(root, MAIL_UID, MAIL_GID)
        for name in files:
            os.chown(os.path.join(root, name), MAIL_UID, MAIL_GID)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """A private Dovecot serving POP3 for `users` (name -> password) whose
    Maildirs are <mail_root>/<name>. `settings` are extra dovecot.conf lines."""

    def __init__(self, workdir: str, mail_root: str, users: dict[str, str], settings: str = ""):
        self.dir = os.path.join(workdir, "dovecot")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        passwd = os.path.join(self.dir, "users")
        with open(passwd, "w") as f:
            for name, password in users.items():
                f.write(f"{name}:{{PLAIN}}{password}:{MAIL_UID}:{MAIL_GID}::{mail_root}/{name}::\n")
        self.log_path = os.path.join(self.dir, "dovecot.log")
        self.config = os.path.join(self.dir, "dovecot.conf")
        with open(self.config, "w") as f:
            f.write(f"""# A private Dovecot for one poplar test: nothing of /etc/dovecot is read.
instance_name = poplar-test-{os.getpid()}-{self.port}
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.log_path}
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
# Dovecot's defaults: dovecot-uidlist in the Maildir (its CONTROL dir) and
# pop3_uidl_format = %08Xu%08Xv.
mail_location = maildir:{mail_root}/%u
passdb {{
  driver = passwd-file
  args = {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
{settings}
""")
        self.proc = subprocess.Popen([DOVECOT_BIN, "-F", "-c", self.config], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
                    self.stop()
                    raise AssertionError(f"Dovecot did not start: {err}\n{self.log()}")
                time.sleep(0.02)  # an external daemon: nothing to wait on but its port

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        """SIGTERM to the master (it stops its children), SIGKILL if it hangs;
        then the port must be closed again."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(TIMEOUT)
        if self.proc.stderr:
            self.proc.stderr.close()
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", self.port)) != 0, "Dovecot still listening after stop"


def courier_session(maildir: str, commands: list[str]) -> list[bytes]:
    """Runs Courier's courierpop3d on `maildir` (already authenticated, as
    after pop3login) with `commands` and QUIT; returns its output lines."""
    libs = ":".join(os.path.join(COURIER_ROOT, d) for d in
                    ("usr/lib", "usr/lib/x86_64-linux-gnu", "usr/lib/courier-authlib"))
    env = {"TCPREMOTEIP": "127.0.0.1", "TCPREMOTEPORT": "0", "AUTHENTICATED": "alice",
           "LD_LIBRARY_PATH": libs, "PATH": "/usr/bin:/bin"}
    script = "".join(c + "\r\n" for c in [*commands, "QUIT"]).encode()
    done = subprocess.run([COURIER_POP3D, maildir], input=script, capture_output=True, env=env, timeout=TIMEOUT)
    if done.returncode != 0:
        raise AssertionError(f"courierpop3d exited {done.returncode}: {done.stderr!r}")
    return done.stdout.split(b"\r\n")


def courier_uidl_list(maildir: str) -> list[tuple[int, str, str]]:
    """Courier's UIDL list as (number, uidl, Message-ID) triples, the
    Message-ID from TOP n 0 (TOP does not change a Maildir flag)."""
    first = courier_session(maildir, ["UIDL"])
    assert first[0].startswith(b"+OK") and first[1] == b"+OK", first
    end = first.index(b".", 2)
    pairs = [line.decode().split(" ", 1) for line in first[2:end]]
    lines = courier_session(maildir, [f"TOP {n} 0" for n, _ in pairs])
    ids = [line.split(b":", 1)[1].strip().decode() for line in lines if line.lower().startswith(b"message-id:")]
    assert len(ids) == len(pairs), lines
    return [(int(n), uidl, mid) for (n, uidl), mid in zip(pairs, ids)]
