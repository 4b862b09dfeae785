"""The server's life and the mailbox's safety across it: DELE is applied only on
QUIT (not on a dropped connection, SIGTERM or SIGKILL), the mailbox lock,
SIGHUP reload, the session-end log line, and the one-shot subcommands."""

import os
import re
import signal
import socket
import subprocess
import time
import tomllib
import unittest

from poplar_fixture import POPLAR_BIN, PoplarTestCase, PopClient, Server, TIMEOUT, wire_bytes


class MailSafetyTest(PoplarTestCase):
    """No DELE mark is applied unless the client says QUIT."""

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.server = self.start_server()

    def test_dele_then_dropped_connection_keeps_message(self):
        c = self.connect(self.server)
        c.login("alice", "secret1")
        self.assertOk(c.cmd("DELE 1"))
        self.assertOk(c.cmd("DELE 2"))
        c.close()
        self.server.log.wait_for(r"session end user=alice .*deleted=0 reason=dropped")
        self.assertEqual(self.md.uids(), set(self.msgs))
        # The lock goes with the dropped session; it may be released just after the
        # log line, so a reconnect gets a bounded number of tries.
        deadline = time.monotonic() + TIMEOUT
        while True:
            c2 = self.connect(self.server)
            self.assertOk(c2.cmd("USER alice"))
            reply = c2.cmd("PASS secret1")
            if not reply.startswith("-ERR [IN-USE]") or time.monotonic() > deadline:
                break
            c2.close()
        self.assertOk(reply)
        self.assertTrue(c2.cmd("STAT").startswith(f"+OK {len(self.msgs)} "))

    def test_dele_then_sigterm_keeps_message_and_exits_zero(self):
        c = self.connect(self.server)
        c.login("alice", "secret1")
        self.assertOk(c.cmd("DELE 1"))
        self.assertEqual(self.server.terminate(), 0, self.server.log.text())
        rest = c.read_until_eof()
        self.assertTrue(rest == b"" or (rest.startswith(b"-ERR") and rest.count(b"\r\n") == 1),
                        f"on shutdown the server sent {rest!r}")
        self.assertEqual(self.md.uids(), set(self.msgs))
        self.assertRegex(self.server.log.text(), r"session end user=alice .*reason=shutdown")

    def test_sigterm_stops_accepting(self):
        port = self.server.port
        self.server.round_trip()  # SIGTERM right after 'ready' is ReloadTest's concern
        self.assertEqual(self.server.terminate(), 0, self.server.log.text())
        with self.assertRaises(OSError):
            PopClient(port, timeout=2).close()

    def test_sigkill_mid_session_leaves_no_stale_lock(self):
        c = self.connect(self.server)
        c.login("alice", "secret1")
        self.assertOk(c.cmd("DELE 1"))
        self.server.kill()
        c.close()
        self.assertEqual(self.md.uids(), set(self.msgs))
        server2 = self.start_server(config_path=self.server.config_path)
        c2 = self.connect(server2)
        c2.login("alice", "secret1")
        self.assertTrue(c2.cmd("STAT").startswith(f"+OK {len(self.msgs)} "))
        self.assertOk(c2.cmd("QUIT"))

    def test_session_end_log_line_counts(self):
        c = self.connect(self.server)
        c.login("alice", "secret1")
        uids = dict(l.split(" ") for l in c.multi("UIDL")[1].decode().splitlines())
        c.multi("RETR 1")
        c.multi("RETR 2")
        self.assertOk(c.cmd("DELE 1"))
        self.assertOk(c.cmd("QUIT"))
        m = self.server.log.wait_for(
            r"poplar: session end user=alice ip=127\.0\.0\.1 retrieved=(\d+) bytes=(\d+) "
            r"deleted=(\d+) reason=quit$")
        self.assertEqual(int(m.group(1)), 2)
        self.assertGreaterEqual(int(m.group(2)),
                                sum(len(wire_bytes(self.msgs[uids[n]])) for n in ("1", "2")))
        self.assertEqual(int(m.group(3)), 1)


class MailboxLockTest(PoplarTestCase):
    """One session per mailbox: a second login is [IN-USE] at once."""

    def test_concurrent_login_in_use_then_free_after_quit(self):
        self.maildir("alice").deliver(b"Subject: a\n\na\n")
        server = self.start_server(auth_failure_delay="2s")
        first = self.connect(server)
        first.login("alice", "secret1")
        second = self.connect(server)
        self.assertOk(second.cmd("USER alice"))
        start = time.monotonic()
        reply = second.cmd("PASS secret1")
        elapsed = time.monotonic() - start
        self.assertErr(reply, "IN-USE")
        self.assertLess(elapsed, 1.5, "[IN-USE] must not wait the auth failure delay")
        self.assertOk(first.cmd("QUIT"))
        second.login("alice", "secret1")
        self.assertTrue(second.cmd("STAT").startswith("+OK 1 "))

    def test_lock_holds_across_server_processes(self):
        """Two poplar processes on one mail store: the lock is the file's, not the process's."""
        server_a = self.start_server()
        server_b = self.start_server()
        a = self.connect(server_a)
        a.login("alice", "secret1")
        b = self.connect(server_b)
        self.assertOk(b.cmd("USER alice"))
        self.assertErr(b.cmd("PASS secret1"), "IN-USE")
        self.assertOk(a.cmd("QUIT"))
        b.login("alice", "secret1")

    def test_other_users_not_blocked(self):
        server = self.start_server()
        a = self.connect(server)
        a.login("alice", "secret1")
        b = self.connect(server)
        b.login("bob", "secret2")
        self.assertTrue(b.cmd("STAT").startswith("+OK 0 0"))


class ReloadTest(PoplarTestCase):
    """SIGHUP re-reads the config file and the passwd-file."""

    def greeting_eventually_matches(self, server: Server, pattern: str) -> bytes:
        deadline = time.monotonic() + TIMEOUT
        while True:
            c = PopClient(server.port)
            greeting = c.greeting
            c.close()
            if re.search(pattern.encode(), greeting) or time.monotonic() > deadline:
                return greeting

    def test_sighup_reloads_config(self):
        server = self.start_server(apop=True)
        self.assertIn(b"@test.example>", self.connect(server).greeting)
        self.write_config(apop=True, hostname="reloaded.example")
        server.signal(signal.SIGHUP)
        greeting = self.greeting_eventually_matches(server, r"@reloaded\.example>")
        self.assertIn(b"@reloaded.example>", greeting)
        self.assertTrue(server.running())

    def test_sighup_reloads_passwd_file(self):
        server = self.start_server()
        server.round_trip()  # a signal right after 'ready' is another test's concern
        self.users["zed"] = "{PLAIN}zed-pw"
        self.write_passwd()
        server.signal(signal.SIGHUP)
        deadline = time.monotonic() + TIMEOUT
        while True:
            c = PopClient(server.port)
            c.cmd("USER zed")
            reply = c.cmd("PASS zed-pw")
            c.close()
            if reply.startswith("+OK") or time.monotonic() > deadline:
                break
        self.assertOk(reply)

    def test_sighup_keeps_the_last_good_passwd_file(self):
        """Review finding: a reload while the passwd-file is unreadable keeps the
        users poplar already had instead of refusing everyone."""
        server = self.start_server()
        c = self.connect(server)
        c.login("alice", "secret1")  # the file has been read once
        self.assertOk(c.cmd("QUIT"))
        moved = self.passwd_path + ".away"
        os.rename(self.passwd_path, moved)
        os.mkdir(self.passwd_path)  # unreadable as a passwd-file
        self.addCleanup(lambda: os.path.isdir(self.passwd_path) and os.rmdir(self.passwd_path))
        server.signal(signal.SIGHUP)
        server.log.wait_for(r"reloaded config")
        c = self.connect(server)
        c.login("alice", "secret1")
        self.assertOk(c.cmd("QUIT"))

    def test_a_log_reader_that_goes_away_does_not_kill_the_server(self):
        """Review finding: with stderr a pipe whose reader has gone (a log
        shipper restarting), the next log line must not kill poplar (SIGPIPE)."""
        proc = subprocess.Popen([POPLAR_BIN, "serve", "--config", self.write_config()],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        port = None
        for raw in proc.stderr:
            line = raw.decode(errors="replace").strip()
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
            if line == "poplar: ready":
                break
        self.assertIsNotNone(port)
        proc.stderr.close()  # the reader goes away
        for _ in range(2):  # each session writes log lines into the broken pipe
            c = PopClient(port)
            c.login("alice", "secret1")
            self.assertOk(c.cmd("QUIT"))
            c.close()
        self.assertIsNone(proc.poll(), "poplar died writing to a closed log pipe")
        proc.terminate()
        self.assertEqual(proc.wait(TIMEOUT), 0)

    def test_signals_right_after_ready_are_handled(self):
        """'ready' means the signal handlers are in place: HUP must not kill, TERM exits 0."""
        server = self.start_server()
        server.signal(signal.SIGHUP)
        try:
            greeting = self.connect(server).greeting
        except OSError as e:
            self.fail(f"SIGHUP right after 'ready' killed the server "
                      f"(status {server.proc.wait(TIMEOUT)}): {e}")
        self.assertOk(greeting.decode())
        server2 = self.start_server()
        self.assertEqual(server2.terminate(), 0, "SIGTERM right after 'ready'")

    def test_sighup_with_broken_config_keeps_serving(self):
        """Beyond the written contract: a bad reload must not take the server down."""
        server = self.start_server()
        server.round_trip()  # a signal right after 'ready' is another test's concern
        with open(server.config_path, "a") as f:
            f.write("idle_timeout = \"1s\"\n")
        server.signal(signal.SIGHUP)
        c = self.connect(server)  # accepted after the signal was delivered
        c.login("alice", "secret1")
        self.assertOk(c.cmd("QUIT"))
        self.assertTrue(server.running())


class CommandLineTest(PoplarTestCase):

    def test_check_config_prints_effective_values(self):
        path = self.write_config(max_bad_commands=7)
        r = self.run_poplar("check-config", "--config", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("idle_timeout", r.stdout)
        values = tomllib.loads(r.stdout)
        self.assertEqual(values.get("max_bad_commands"), 7)
        self.assertEqual(values.get("hostname"), "test.example")
        self.assertEqual(values.get("passwd_file"), self.passwd_path)

    def test_check_config_output_round_trips(self):
        first = self.run_poplar("check-config", "--config", self.write_config())
        self.assertEqual(first.returncode, 0, first.stderr)
        again_path = os.path.join(self.dir, "again.toml")
        with open(again_path, "w") as f:
            f.write(first.stdout)
        second = self.run_poplar("check-config", "--config", again_path)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertEqual(first.stdout, second.stdout)

    def test_check_config_refuses_bad_value_naming_the_key(self):
        for key, value in (("idle_timeout", "1s"), ("max_line_length", "lots"),
                           ("workers", -1)):
            r = self.run_poplar("check-config", "--config", self.write_config(**{key: value}))
            self.assertNotEqual(r.returncode, 0, f"{key} = {value!r} accepted")
            self.assertIn(key, r.stdout + r.stderr, f"{key} = {value!r}")

    def test_check_config_refuses_unknown_key(self):
        path = self.write_config()
        with open(path, "a") as f:
            f.write("no_such_key = 1\n")
        r = self.run_poplar("check-config", "--config", path)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no_such_key", r.stdout + r.stderr)

    def test_serve_with_bad_config_exits_nonzero(self):
        path = self.write_config(idle_timeout="1s")
        r = self.run_poplar("serve", "--config", path)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("idle_timeout", r.stderr)
        self.assertNotIn("poplar: ready", r.stderr)

    @staticmethod
    def second_loopback() -> str:
        """[::1] when this host has IPv6 loopback, else 127.0.0.2."""
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind(("::1", 0))
            return "[::1]"
        except OSError:
            return "127.0.0.2"

    def test_two_listeners(self):
        server = self.start_server(listen=["127.0.0.1:0", self.second_loopback() + ":0"])
        self.assertEqual(len(server.addresses), 2, server.log.text())
        for host, port in server.addresses:
            c = PopClient(port, host=host)
            self.addCleanup(c.close)
            self.assertOk(c.greeting.decode())

    def test_help_mentions_serve(self):
        r = self.run_poplar("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("serve", r.stdout + r.stderr)

    def test_check_config_reports_passwd_file_problems(self):
        """Exit 1 (config valid, some users cannot log in), with the line and user named."""
        with open(self.passwd_path, "a") as f:
            f.write(":{PLAIN}nobody\n")          # no user name
            f.write("carol:{ROT13}frperg:::::\n")  # a scheme poplar does not know
        r = self.run_poplar("check-config", "--config", self.write_config())
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("idle_timeout", r.stdout)  # the effective values still print
        self.assertRegex(r.stderr, r"line \d+: .*skipped")
        self.assertRegex(r.stderr, r"unknown password scheme \{ROT13\}.*'carol'")
        self.assertNotIn("frperg", r.stderr)

    def test_check_config_reports_an_unreadable_passwd_file(self):
        r = self.run_poplar("check-config", "--config",
                            self.write_config(passwd_file=os.path.join(self.dir, "missing")))
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot be read", r.stderr)
        # Review finding: a directory (or a FIFO) is refused, not read until a crash.
        r = self.run_poplar("check-config", "--config", self.write_config(passwd_file=self.dir))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("not a regular file", r.stderr)

    def test_version(self):
        r = self.run_poplar("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^poplar \d+\.\d+\.\d+")

    def test_no_subcommand_is_a_usage_error(self):
        r = self.run_poplar()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("serve", r.stdout + r.stderr)

    def test_serve_override_on_command_line(self):
        server = self.start_server(extra_args=["-o", "hostname=other.example"], apop=True)
        self.assertIn(b"@other.example>", self.connect(server).greeting)


if __name__ == "__main__":
    unittest.main()
