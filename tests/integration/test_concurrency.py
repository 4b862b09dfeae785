"""Many clients at once against the real binary: sessions racing for the same
mailboxes must each get the whole mailbox or exactly `-ERR [IN-USE]`, every
reply stays well-formed, sizes match bytes, and DELE under contention removes
exactly the messages whose QUIT said +OK.

Bounded on purpose (count and wall time, socket timeouts, no sleeps), so that
the whole file stays well under 30 s against the ASan build.
"""

import random
import re
import threading
import time
import traceback
import unittest

from poplar_fixture import SANITIZER_REPORT, PoplarTestCase, PopClient, wire_bytes

USERS = 8
MESSAGES_PER_USER = 20
THREADS = 32

# Per socket operation: far above what a healthy server needs, even under ASan.
SOCKET_TIMEOUT = 5.0
# Wall time for the client threads of one test; a thread starts no new session
# after it, and is given one SOCKET_TIMEOUT on top to finish the current one.
WORK_BUDGET = 12.0
# A session attempt that meets [IN-USE] ends at once and the thread tries
# again (another random user, a new connection); this caps those retries.
MAX_ATTEMPTS_PER_SESSION = 40

# TSan reports are WARNINGs; the fixture's pattern only knows ERRORs.
SANITIZER_OR_TSAN = re.compile(SANITIZER_REPORT.pattern + r"|WARNING: ThreadSanitizer")

# RFC 1939 / RFC 2449: a status line is +OK or -ERR, optional text, CRLF, at
# most 512 octets.
STATUS_LINE = re.compile(rb"(\+OK|-ERR)( [^\r\n]*)?\r\n")
IN_USE = re.compile(rb"-ERR \[IN-USE\] [^\r\n]+\r\n")
LOGGED_IN = re.compile(rb"\+OK [^\r\n]*\r\n")
STAT_REPLY = re.compile(rb"\+OK (\d+) (\d+)\r\n")
RETR_REPLY = re.compile(rb"\+OK (\d+) octets\r\n")
LIST_LINE = re.compile(rb"(\d+) (\d+)")
UIDL_LINE = re.compile(rb"(\d+) ([\x21-\x7e]{1,70})")


class ProtocolViolation(AssertionError):
    pass


def make_message(user: str, i: int) -> bytes:
    """Distinct content per user and index, in the shapes that matter for sizes
    and dot-stuffing; one message per mailbox is larger than the server's 32 KiB
    read chunk and its 64 KiB write batch."""
    head = f"From: sender{i}@example.org\nTo: {user}@test.example\nSubject: {user} message {i}\n\n".encode()
    shape = i % 5
    if shape == 0:
        body = f"Hello {user}, this is message {i}.\n".encode()
    elif shape == 1:
        body = f".leading dot {user} {i}\n..two dots\n.\n.\r\nend\n".encode()
    elif shape == 2:
        body = f"last line of {user} {i} without LF".encode()
    elif shape == 3:
        head = head.replace(b"\n", b"\r\n")
        body = f"crlf already {user} {i}\r\nmore\r\n.dot\r\n".encode()
    else:
        lines = 1500 if i == 4 else 40
        body = b"".join(b"%s line %05d of message %d%s\n" % (
            user.encode(), n, i, b"" if n % 7 else b"\n." if n % 2 else b" trailing  ") for n in range(lines))
    return head + body


class Tally:
    """Counters and failures shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.failures: list[str] = []
        self.connections = 0      # every TCP connection that got a greeting
        self.logged_in = 0
        self.in_use = 0
        self.sessions_done = 0    # logged-in sessions carried through to their end
        self.dropped = 0          # sessions ended by closing without QUIT
        self.logins_per_user: dict[str, int] = {}

    def add(self, **counts):
        with self.lock:
            for key, value in counts.items():
                setattr(self, key, getattr(self, key) + value)

    def fail(self, text: str):
        with self.lock:
            self.failures.append(text)


class ConcurrencyTest(PoplarTestCase):

    PASSWORDS = {f"user{u}": f"pw-{u}-secret" for u in range(USERS)}

    def setUp(self):
        super().setUp()
        self.seed = random.randrange(1 << 30)
        self.mailboxes = {}   # user -> Maildir
        self.raw = {}         # user -> {uid: raw bytes}
        for u, user in enumerate(self.PASSWORDS):
            md = self.maildir(user)
            msgs = {}
            for i in range(MESSAGES_PER_USER):
                raw = make_message(user, i)
                msgs[md.deliver(raw, with_vsize=(i % 2 == 0))] = raw
            self.mailboxes[user] = md
            self.raw[user] = msgs
        self.server = self.start_server(max_connections_per_ip=THREADS * 2, workers=4, blocking_threads=4)
        self.tally = Tally()

    # --- wire helpers (raise ProtocolViolation on anything malformed) -----------

    @staticmethod
    def status(c: PopClient, command: str) -> bytes:
        c.send(command.encode() + b"\r\n")
        line = c.readline()
        if not STATUS_LINE.fullmatch(line) or len(line) > 512:
            raise ProtocolViolation(f"{command.split()[0]}: malformed status line {line[:600]!r}")
        return line

    def expect(self, c: PopClient, command: str, pattern: re.Pattern) -> re.Match:
        line = self.status(c, command)
        m = pattern.fullmatch(line)
        if not m:
            raise ProtocolViolation(f"{command}: unexpected reply {line!r}")
        return m

    def expect_ok(self, c: PopClient, command: str) -> bytes:
        line = self.status(c, command)
        if not line.startswith(b"+OK"):
            raise ProtocolViolation(f"{command}: expected +OK, got {line!r}")
        return line

    def listing(self, c: PopClient, command: str, pattern: re.Pattern) -> dict[int, bytes]:
        self.expect_ok(c, command)
        body = c.read_multiline()
        out = {}
        lines = body.split(b"\r\n")
        if lines[-1] != b"":
            raise ProtocolViolation(f"{command}: body does not end in CRLF: {body[-80:]!r}")
        for line in lines[:-1]:
            m = pattern.fullmatch(line)
            if not m:
                raise ProtocolViolation(f"{command}: malformed line {line!r}")
            n = int(m.group(1))
            if n in out or (out and n <= max(out)):
                raise ProtocolViolation(f"{command}: message numbers out of order at {line!r}")
            out[n] = m.group(2)
        return out

    def quit_and_eof(self, c: PopClient) -> bytes:
        line = self.status(c, "QUIT")
        if not c.at_eof():
            raise ProtocolViolation(f"data or no close after QUIT: {c.buf[:100]!r}")
        return line

    def login(self, c: PopClient, user: str) -> bool:
        """USER/PASS: True when logged in, False on exactly [IN-USE]."""
        self.expect_ok(c, f"USER {user}")
        line = self.status(c, f"PASS {self.PASSWORDS[user]}")
        if IN_USE.fullmatch(line):
            self.tally.add(in_use=1)
            return False
        if not LOGGED_IN.fullmatch(line):
            raise ProtocolViolation(f"PASS for {user}: neither +OK nor -ERR [IN-USE]: {line!r}")
        with self.tally.lock:
            self.tally.logged_in += 1
            self.tally.logins_per_user[user] = self.tally.logins_per_user.get(user, 0) + 1
        return True

    def check_mailbox(self, c: PopClient, user: str, allowed: set[str]) -> dict[int, str]:
        """STAT, LIST, UIDL agree with each other and with the files; returns
        number -> uid. `allowed` is the set of uids the snapshot may hold."""
        count, octets = (int(x) for x in self.expect(c, "STAT", STAT_REPLY).groups())
        sizes = {n: int(s) for n, s in self.listing(c, "LIST", LIST_LINE).items()}
        uids = {n: u.decode() for n, u in self.listing(c, "UIDL", UIDL_LINE).items()}
        if sorted(sizes) != list(range(1, count + 1)) or sorted(uids) != list(range(1, count + 1)):
            raise ProtocolViolation(f"{user}: STAT says {count}, LIST numbers {sorted(sizes)}, "
                                    f"UIDL numbers {sorted(uids)}")
        if sum(sizes.values()) != octets:
            raise ProtocolViolation(f"{user}: STAT octets {octets} != sum of LIST {sum(sizes.values())}")
        if len(set(uids.values())) != count or not set(uids.values()) <= allowed:
            raise ProtocolViolation(f"{user}: UIDL {sorted(uids.values())} not unique or not within "
                                    f"{sorted(allowed)}")
        for n, uid in uids.items():
            want = len(wire_bytes(self.raw[user][uid]))
            if sizes[n] != want:
                raise ProtocolViolation(f"{user}: LIST {n} ({uid}) says {sizes[n]}, file gives {want}")
        return uids

    def retr(self, c: PopClient, user: str, n: int, uid: str):
        want = wire_bytes(self.raw[user][uid])
        octets = int(self.expect(c, f"RETR {n}", RETR_REPLY).group(1))
        body = c.read_multiline()
        if octets != len(want) or body != want:
            raise ProtocolViolation(f"{user}: RETR {n} ({uid}) said {octets} octets, sent {len(body)} bytes, "
                                    f"file gives {len(want)}; equal={body == want}")

    # --- the harness ------------------------------------------------------------

    def run_threads(self, sessions_per_thread: int, one_session):
        """THREADS threads, each calling one_session(rng, thread, attempt) until
        it has returned True (a logged-in session) sessions_per_thread times,
        bounded by MAX_ATTEMPTS_PER_SESSION and WORK_BUDGET; failures are
        collected and reported here."""
        barrier = threading.Barrier(THREADS, timeout=SOCKET_TIMEOUT)
        deadline = time.monotonic() + WORK_BUDGET

        def worker(t: int):
            rng = random.Random(self.seed * 1000 + t)
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                self.tally.fail(f"thread {t}: start barrier broken")
                return
            full = 0
            for i in range(sessions_per_thread * MAX_ATTEMPTS_PER_SESSION):
                if full == sessions_per_thread or time.monotonic() >= deadline:
                    break
                try:
                    if one_session(rng, t, i):
                        full += 1
                        self.tally.add(sessions_done=1)
                except Exception as e:  # noqa: BLE001 - every failure is reported by the main thread
                    self.tally.fail(f"thread {t} attempt {i} (seed {self.seed}): {type(e).__name__}: {e}\n"
                                    + "".join(traceback.format_tb(e.__traceback__)[-3:]))
                    return

        threads = [threading.Thread(target=worker, args=(t,), daemon=True, name=f"pop-client-{t}")
                   for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(max(0.0, deadline - time.monotonic()) + SOCKET_TIMEOUT * 2)
        hung = [th.name for th in threads if th.is_alive()]
        self.assertEqual(hung, [], "client threads still running past the budget")
        self.assertEqual(self.tally.failures, [], "\n\n".join(self.tally.failures[:5]))

    def connect_counted(self) -> PopClient:
        c = PopClient(self.server.port, timeout=SOCKET_TIMEOUT)
        if not STATUS_LINE.fullmatch(c.greeting) or not c.greeting.startswith(b"+OK"):
            c.close()
            raise ProtocolViolation(f"greeting {c.greeting!r}")
        self.tally.add(connections=1)
        return c

    def stop_and_check_log(self) -> str:
        """SIGTERM, then: exit 0, no sanitizer report, one session-end line per
        connection, none of them an error, one in-use log line per [IN-USE]."""
        status = self.server.terminate()
        log = self.server.log.text()
        self.assertIsNone(SANITIZER_OR_TSAN.search(log), "sanitizer report from poplar:\n" + log[-20000:])
        self.assertEqual(status, 0, log[-5000:])
        self.assertNotIn("session error", log)
        ends = re.findall(r"poplar: session end .* reason=(\S+)$", log, re.M)
        self.assertEqual(len(ends), self.tally.connections, "session end lines vs connections")
        reasons = {r: ends.count(r) for r in set(ends)}
        self.assertEqual(reasons.get("quit", 0), self.tally.connections - self.tally.dropped, reasons)
        self.assertEqual(reasons.get("dropped", 0), self.tally.dropped, reasons)
        self.assertEqual(len(re.findall(r"login failed .* reason=in-use ", log)), self.tally.in_use)
        self.assertNotIn("reason=bad-credentials", log)
        return log

    def assert_progress(self):
        t = self.tally
        summary = (f"connections={t.connections} logged_in={t.logged_in} in_use={t.in_use} "
                   f"done={t.sessions_done} per_user={t.logins_per_user}")
        self.assertGreaterEqual(t.sessions_done, THREADS, summary)
        self.assertEqual(sorted(t.logins_per_user), sorted(self.PASSWORDS), summary)
        self.assertGreater(t.in_use, 0, "no two sessions ever met on one mailbox: " + summary)

    # --- the tests ----------------------------------------------------------------

    def test_readers_contend_for_mailboxes(self):
        """32 threads x 15 read-only sessions on 8 random mailboxes: [IN-USE] or
        the whole mailbox, exact sizes and bytes, nothing removed."""

        def session(rng: random.Random, t: int, i: int):
            user = rng.choice(list(self.PASSWORDS))
            c = self.connect_counted()
            try:
                logged_in = self.login(c, user)
                if logged_in:
                    uids = self.check_mailbox(c, user, set(self.raw[user]))
                    if len(uids) != MESSAGES_PER_USER:
                        raise ProtocolViolation(f"{user}: {len(uids)} messages, expected {MESSAGES_PER_USER}")
                    for n, uid in uids.items():
                        self.retr(c, user, n, uid)
                line = self.quit_and_eof(c)
                if not line.startswith(b"+OK"):
                    raise ProtocolViolation(f"QUIT: {line!r}")
                return logged_in
            finally:
                c.close()

        self.run_threads(15, session)
        self.assert_progress()
        self.stop_and_check_log()
        for user, md in self.mailboxes.items():
            self.assertEqual(md.uids(), set(self.raw[user]), f"{user}: messages changed without DELE")
            for uid, raw in self.raw[user].items():
                with open(md.find(uid), "rb") as f:
                    self.assertEqual(f.read(), raw, f"{user} {uid} changed on disk")

    def test_dele_under_contention_removes_exactly_the_confirmed(self):
        """Each session RETRs then DELEs one message; most QUIT, some drop the
        connection instead. Gone afterwards: exactly the messages whose DELE and
        QUIT both got +OK; every other one is still there, byte for byte."""
        confirmed = {user: set() for user in self.PASSWORDS}   # DELE +OK and QUIT +OK
        abandoned = {user: set() for user in self.PASSWORDS}   # DELE +OK, then dropped
        lock = threading.Lock()

        def session(rng: random.Random, t: int, i: int):
            user = rng.choice(list(self.PASSWORDS))
            drop = rng.random() < 0.2
            c = self.connect_counted()
            try:
                # A delete confirmed before our PASS was sent must not be in our snapshot.
                with lock:
                    gone_before = set(confirmed[user])
                if not self.login(c, user):
                    self.quit_and_eof(c)
                    return False
                uids = self.check_mailbox(c, user, set(self.raw[user]) - gone_before)
                if not uids:
                    self.quit_and_eof(c)
                    return True
                n = rng.choice(sorted(uids))
                self.retr(c, user, n, uids[n])
                self.expect(c, f"DELE {n}", re.compile(rb"\+OK [^\r\n]*\r\n"))
                # Deleted in this session: no longer listed, RETR refused.
                line = self.status(c, f"RETR {n}")
                if not line.startswith(b"-ERR"):
                    raise ProtocolViolation(f"RETR of a deleted message: {line!r}")
                count = int(self.expect(c, "STAT", STAT_REPLY).group(1))
                if count != len(uids) - 1:
                    raise ProtocolViolation(f"STAT after DELE: {count}, expected {len(uids) - 1}")
                if drop:
                    with lock:
                        abandoned[user].add(uids[n])
                    self.tally.add(dropped=1)
                    return True  # close without QUIT: the mark must not be applied
                line = self.quit_and_eof(c)
                if not line.startswith(b"+OK"):
                    raise ProtocolViolation(f"QUIT after DELE: {line!r}")
                with lock:
                    if uids[n] in confirmed[user]:
                        raise ProtocolViolation(f"{user}: {uids[n]} deleted twice")
                    confirmed[user].add(uids[n])
                return True
            finally:
                c.close()

        # 32 x 4 sessions delete at most 128 of the 160 messages.
        self.run_threads(4, session)
        self.assert_progress()
        self.stop_and_check_log()
        total_deleted = sum(len(s) for s in confirmed.values())
        self.assertGreater(total_deleted, 0)
        self.assertGreater(sum(len(s) for s in abandoned.values()), 0, "no session was dropped after DELE")
        for user, md in self.mailboxes.items():
            want = set(self.raw[user]) - confirmed[user]
            self.assertEqual(md.uids(), want, f"{user}: on disk vs expected")
            self.assertTrue(abandoned[user] - confirmed[user] <= md.uids())
            for uid in want:
                with open(md.find(uid), "rb") as f:
                    self.assertEqual(f.read(), self.raw[user][uid], f"{user} {uid} changed on disk")


if __name__ == "__main__":
    unittest.main()
