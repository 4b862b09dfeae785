"""The administration commands through the binary: `poplar deliver` (exit
codes an MTA understands, all-or-nothing delivery, mail delivered during a
session), `poplar user`, `poplar pw` and `poplar mailbox stats`."""
import os
import re
import time
import subprocess
import unittest

from poplar_fixture import POPLAR_BIN, TIMEOUT, PoplarTestCase, wire_bytes

EX_DATAERR, EX_NOUSER, EX_CANTCREAT, EX_TEMPFAIL = 65, 67, 73, 75


class AdminTestCase(PoplarTestCase):

    def poplar(self, *args, stdin: bytes | str = b"", config: str | None = None) -> subprocess.CompletedProcess:
        if isinstance(stdin, str):
            stdin = stdin.encode()
        cfg = ["-c", config or self.config_path]
        return subprocess.run([POPLAR_BIN, *args, *cfg], input=stdin, capture_output=True, timeout=TIMEOUT)

    def setUp(self):
        super().setUp()
        self.config_path = self.write_config(max_message_size=10_000)

    def new_files(self, user: str) -> list[str]:
        path = os.path.join(self.mail_root, user, "new")
        return sorted(os.listdir(path)) if os.path.isdir(path) else []


class DeliverTest(AdminTestCase):

    def test_delivered_message_is_retrieved_byte_exact(self):
        raw = b"From: a@example.org\r\nSubject: hello\r\n\r\n.starts with a dot\r\nbye\r\n"
        done = self.poplar("deliver", "alice", stdin=raw)
        self.assertEqual(done.returncode, 0, done.stderr)
        names = self.new_files("alice")
        self.assertEqual(len(names), 1)
        stored = raw.replace(b"\r\n", b"\n")
        self.assertRegex(names[0], rf",S={len(stored)},W={len(wire_bytes(stored))}$")
        self.assertEqual(os.listdir(os.path.join(self.mail_root, "alice", "tmp")), [])
        server = self.start_server(config_path=self.config_path)
        c = self.connect(server)
        c.login("alice", "secret1")
        status, body = c.multi("RETR 1")
        self.assertEqual(status, f"+OK {len(wire_bytes(stored))} octets")
        self.assertEqual(body, wire_bytes(stored))

    def test_mbox_envelope_line_is_dropped(self):
        done = self.poplar("deliver", "alice", stdin=b"From sender@example.org Sat Nov 21 10:00:00 2026\nSubject: x\n\nbody\n")
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(self.mail_root, "alice", "new", self.new_files("alice")[0]), "rb") as f:
            self.assertEqual(f.read(), b"Subject: x\n\nbody\n")

    def test_unknown_user_is_ex_nouser(self):
        done = self.poplar("deliver", "mallory", stdin=b"Subject: x\n\n")
        self.assertEqual(done.returncode, EX_NOUSER)
        self.assertIn(b"no such user: mallory", done.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.mail_root, "mallory")))

    def test_not_a_message_is_ex_dataerr_and_stores_nothing(self):
        for data in (b"", b"hello world\n", b"\n\nbody\n"):
            done = self.poplar("deliver", "alice", stdin=data)
            self.assertEqual(done.returncode, EX_DATAERR, data)
        self.assertEqual(self.new_files("alice"), [])

    def test_too_big_is_ex_cantcreat_with_552(self):
        done = self.poplar("deliver", "alice", stdin=b"Subject: big\n\n" + b"x" * 20_000)
        self.assertEqual(done.returncode, EX_CANTCREAT)
        self.assertIn(b"552 5.3.4", done.stderr)
        self.assertEqual(self.new_files("alice"), [])
        self.assertEqual(os.listdir(os.path.join(self.mail_root, "alice", "tmp")), [])

    def test_unreadable_passwd_file_and_config_errors_are_temporary(self):
        os.rename(self.passwd_path, self.passwd_path + ".away")
        self.assertEqual(self.poplar("deliver", "alice", stdin=b"Subject: x\n\n").returncode, EX_TEMPFAIL)
        os.rename(self.passwd_path + ".away", self.passwd_path)
        bad = os.path.join(self.dir, "bad.toml")
        with open(bad, "w") as f:
            f.write("no_such_key = 1\n")
        done = self.poplar("deliver", "alice", stdin=b"Subject: x\n\n", config=bad)
        self.assertEqual(done.returncode, EX_TEMPFAIL, "a config mistake must not bounce mail")

    def test_unwritable_maildir_is_temporary(self):
        # A file where the Maildir should be: every write fails.
        with open(os.path.join(self.mail_root, "alice"), "w") as f:
            f.write("in the way")
        done = self.poplar("deliver", "alice", stdin=b"Subject: x\n\nbody\n")
        self.assertEqual(done.returncode, EX_TEMPFAIL, done.stderr)

    def test_full_disk_is_temporary_and_loses_nothing(self):
        small = os.path.join(self.dir, "small")
        os.makedirs(small)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", small], capture_output=True)
        if mounted.returncode != 0:
            self.skipTest(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
        self.addCleanup(subprocess.run, ["umount", "-l", small], capture_output=True)
        config = self.write_config("small.toml", mail_path=os.path.join(small, "%u"))
        first = self.poplar("deliver", "alice", stdin=b"Subject: fits\n\nsmall\n", config=config)
        self.assertEqual(first.returncode, 0, first.stderr)
        done = self.poplar("deliver", "alice", stdin=b"Subject: big\n\n" + b"y" * 200_000, config=config)
        self.assertEqual(done.returncode, EX_TEMPFAIL, done.stderr)
        self.assertEqual(os.listdir(os.path.join(small, "alice", "tmp")), [], "no partial file left")
        self.assertEqual(len(os.listdir(os.path.join(small, "alice", "new"))), 1, "the earlier message is intact")

    def test_mail_delivered_during_a_session_shows_at_the_next_login(self):
        one = b"Subject: one\n\n1\n"
        self.poplar("deliver", "alice", stdin=one)
        server = self.start_server(config_path=self.config_path)
        c = self.connect(server)
        c.login("alice", "secret1")
        self.assertEqual(c.cmd("STAT"), f"+OK 1 {len(wire_bytes(one))}")
        done = self.poplar("deliver", "alice", stdin=b"Subject: two\n\n2\n")
        self.assertEqual(done.returncode, 0, "delivery does not wait for the POP3 session")
        self.assertEqual(c.cmd("STAT"), f"+OK 1 {len(wire_bytes(one))}", "the session keeps its snapshot")
        self.assertOk(c.cmd("DELE 1"))
        self.assertOk(c.cmd("QUIT"))
        c2 = self.connect(server)
        c2.login("alice", "secret1")
        self.assertEqual(c2.cmd("STAT"), f"+OK 1 {len(wire_bytes(one))}", "the first is gone, the second is there")
        status, body = c2.multi("RETR 1")
        self.assertIn(b"Subject: two", body)


class UserTest(AdminTestCase):

    def test_add_then_log_in_change_password_and_remove(self):
        added = self.poplar("user", "add", "carol", stdin="first pass\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        self.assertIn(b"added user carol ({CRYPT})", added.stderr)
        maildir = os.path.join(self.mail_root, "carol")
        self.assertEqual(sorted(d for d in os.listdir(maildir) if d in ("cur", "new", "tmp")), ["cur", "new", "tmp"])
        with open(self.passwd_path) as f:
            self.assertRegex(f.read(), r"\ncarol:\{CRYPT\}\$y\$[^:]+::::::\n$")
        self.assertEqual(self.poplar("user", "list").stdout.decode().split(), ["alice", "bob", "carol"])

        server = self.start_server(config_path=self.config_path)
        c = self.connect(server)
        c.login("carol", "first pass")
        c.cmd("QUIT")
        changed = self.poplar("user", "passwd", "carol", "-s", "SCRAM-SHA-256", stdin="second\n")
        self.assertEqual(changed.returncode, 0, changed.stderr)
        c = self.connect(server)
        self.assertOk(c.cmd("USER carol"))
        self.assertErr(c.cmd("PASS first pass"), "AUTH")
        c = self.connect(server)
        c.login("carol", "second")
        c.cmd("QUIT")

        removed = self.poplar("user", "del", "carol")
        self.assertEqual(removed.returncode, 0, removed.stderr)
        self.assertFalse(os.path.exists(maildir))
        self.assertEqual(self.poplar("user", "list").stdout.decode().split(), ["alice", "bob"])
        self.assertEqual(self.poplar("user", "del", "carol").returncode, EX_NOUSER)

    def test_other_lines_are_kept_byte_for_byte(self):
        with open(self.passwd_path, "a") as f:
            f.write("# a comment the administrator wrote\n\n")
        with open(self.passwd_path) as f:
            before = f.read()
        self.assertEqual(self.poplar("user", "add", "dave", stdin="pw\n").returncode, 0)
        self.assertEqual(self.poplar("user", "del", "dave").returncode, 0)
        with open(self.passwd_path) as f:
            self.assertEqual(f.read(), before)

    def test_bad_requests_are_refused_clearly(self):
        self.assertEqual(self.poplar("user", "add", "alice", stdin="x\n").returncode, EX_CANTCREAT)
        self.assertEqual(self.poplar("user", "add", "../evil", stdin="x\n").returncode, 65)
        self.assertEqual(self.poplar("user", "add", "erin", stdin="").returncode, 65, "no password given")
        self.assertEqual(self.poplar("user", "add", "erin", "-s", "MD4", stdin="x\n").returncode, 64)
        self.assertEqual(self.poplar("user", "passwd", "nobody", stdin="x\n").returncode, EX_NOUSER)
        self.assertNotIn("erin", self.poplar("user", "list").stdout.decode())

    def test_del_refuses_a_mailbox_in_use(self):
        self.sample_mailbox("alice")
        server = self.start_server(config_path=self.config_path)
        c = self.connect(server)
        c.login("alice", "secret1")
        done = self.poplar("user", "del", "alice")
        self.assertEqual(done.returncode, EX_TEMPFAIL)
        self.assertIn(b"in use", done.stderr)
        self.assertIn("alice", self.poplar("user", "list").stdout.decode(), "nothing was removed")
        self.assertTrue(os.path.isdir(os.path.join(self.mail_root, "alice", "cur")))

    def test_del_keep_mail(self):
        self.sample_mailbox("bob")
        self.assertEqual(self.poplar("user", "del", "bob", "--keep-mail").returncode, 0)
        self.assertTrue(os.path.isdir(os.path.join(self.mail_root, "bob")))


class PwAndStatsTest(AdminTestCase):

    def test_pw_writes_secrets_a_server_accepts(self):
        for scheme in ("YESCRYPT", "SHA512-CRYPT", "BLF-CRYPT", "SCRAM-SHA-256"):
            made = subprocess.run([POPLAR_BIN, "pw", "-s", scheme], input=b"hunter2\n", capture_output=True,
                                  timeout=TIMEOUT)
            self.assertEqual(made.returncode, 0, made.stderr)
            self.users["alice"] = made.stdout.decode().strip()
            self.write_passwd()
            server = self.start_server(config_path=self.config_path)
            c = self.connect(server)
            c.login("alice", "hunter2")
            c.cmd("QUIT")
            server.stop()

    def test_mailbox_stats(self):
        for i in range(3):
            self.poplar("deliver", "alice", stdin=f"Subject: {i}\n\n{'x' * i}\n")
        done = self.poplar("mailbox", "stats", "alice")
        self.assertEqual(done.returncode, 0, done.stderr)
        out = done.stdout.decode()
        self.assertIn("messages 3\n", out)
        self.assertRegex(out, r"octets \d+\n")
        self.assertRegex(out, r"oldest \d+ min\n")
        self.assertEqual(self.poplar("mailbox", "stats", "nobody").returncode, EX_NOUSER)


class ExpireCommandTest(AdminTestCase):
    """`poplar expire`: the RFC 2449 EXPIRE rule, applied from cron."""

    DAY = 86_400

    def seed(self, user: str, ages_in_days: list[float | None]) -> list[str]:
        """Delivers one message per age; records a first retrieval that old (None: never retrieved)."""
        md = self.maildir(user)
        uids = [md.deliver(f"Subject: {i}\n\nbody {i}\n".encode()) for i in range(len(ages_in_days))]
        now = int(time.time())
        with open(os.path.join(md.path, "poplar-retrieved"), "w") as f:
            for uid, age in zip(uids, ages_in_days):
                if age is not None:
                    f.write(f"{uid} {now - int(age * self.DAY)}\n")
        return uids

    def test_removes_only_what_was_retrieved_long_enough_ago(self):
        config = self.write_config("expire.toml", expire="7", expire_at_quit=False)
        uids = self.seed("alice", [8, 6, None])
        dry = self.poplar("expire", "--dry-run", config=config)
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn(b"alice: would remove 1 of 3 messages", dry.stdout)
        self.assertEqual(self.maildir("alice").uids(), set(uids), "a dry run removes nothing")
        done = self.poplar("expire", config=config)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(b"alice: removed 1 of 3 messages", done.stdout)
        self.assertEqual(self.maildir("alice").uids(), set(uids[1:]))

    def test_per_user_days_and_never(self):
        config = self.write_config("expire.toml", expire="never")
        self.seed("alice", [30])
        with open(self.passwd_path) as f:
            lines = f.read().replace("bob:{PLAIN}secret2:1001:1001::/home/bob::",
                                     "bob:{PLAIN}secret2:1001:1001::/home/bob::pop3_expire_days=1")
        with open(self.passwd_path, "w") as f:
            f.write(lines)
        bob = self.seed("bob", [2, 0.5])
        done = self.poplar("expire", config=config)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(len(self.maildir("alice").uids()), 1, "NEVER: alice keeps everything")
        self.assertEqual(self.maildir("bob").uids(), {bob[1]}, "bob's own 1 day applies")

    def test_a_mailbox_in_use_is_skipped_untouched(self):
        config = self.write_config("expire.toml", expire="0", expire_at_quit=False)
        uids = self.seed("alice", [1])
        server = self.start_server(config_path=config)
        c = self.connect(server)
        c.login("alice", "secret1")
        done = self.poplar("expire", "alice", config=config)
        self.assertEqual(done.returncode, EX_TEMPFAIL)
        self.assertIn(b"in use by a POP3 session; skipped", done.stdout)
        self.assertEqual(self.maildir("alice").uids(), set(uids))
        c.cmd("QUIT")
        self.assertEqual(self.poplar("expire", "alice", config=config).returncode, 0)
        self.assertEqual(self.maildir("alice").uids(), set())

    def test_unknown_user(self):
        self.assertEqual(self.poplar("expire", "nobody").returncode, EX_NOUSER)


if __name__ == "__main__":
    unittest.main()
