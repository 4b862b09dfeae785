"""Real POP3 clients from Debian against the real server: curl, fetchmail,
mpop and getmail6 fetch the mailbox and every message must arrive intact."""

import os
import pwd
import re
import shutil
import subprocess
import unittest

from poplar_fixture import PoplarTestCase, TIMEOUT, wire_bytes, as_lf, read_dir_files

CLIENT_TIMEOUT = 3 * TIMEOUT


@unittest.skipUnless(shutil.which("curl"), "Debian's curl is not installed")
class CurlTest(PoplarTestCase):

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.server = self.start_server()
        self.url = f"pop3://127.0.0.1:{self.server.port}/"

    def curl(self, *args, user="alice:secret1") -> subprocess.CompletedProcess:
        return subprocess.run(["curl", "-s", "-S", "--max-time", str(TIMEOUT), "-u", user, *args],
                              capture_output=True, timeout=CLIENT_TIMEOUT)

    def uids(self) -> dict[str, str]:
        r = self.curl(self.url, "-X", "UIDL")
        self.assertEqual(r.returncode, 0, r.stderr)
        return dict(l.split(" ") for l in r.stdout.decode().splitlines())

    def test_list(self):
        r = self.curl(self.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        listing = dict(l.split(" ") for l in r.stdout.decode().splitlines())
        uids = self.uids()
        self.assertEqual(len(listing), len(self.msgs))
        for num, octets in listing.items():
            self.assertEqual(int(octets), len(wire_bytes(self.msgs[uids[num]])), f"LIST {num}")

    def test_uidl(self):
        self.assertEqual(set(self.uids().values()), set(self.msgs))

    def test_retrieve_each_message(self):
        for num, uid in self.uids().items():
            r = self.curl(self.url + num)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, wire_bytes(self.msgs[uid]), f"message {num}")

    def test_dele_applied_at_quit(self):
        uids = self.uids()
        r = self.curl(self.url + "1", "-X", "DELE", "-I")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.md.uids(), set(self.msgs) - {uids["1"]})

    def test_wrong_password_is_login_denied(self):
        r = self.curl(self.url, user="alice:nope")
        self.assertEqual(r.returncode, 67, (r.returncode, r.stderr))  # CURLE_LOGIN_DENIED

    def test_missing_message_is_an_error(self):
        r = self.curl(self.url + "99")
        self.assertNotEqual(r.returncode, 0)


@unittest.skipUnless(shutil.which("fetchmail"), "Debian's fetchmail is not installed")
class FetchmailTest(PoplarTestCase):

    def test_fetch_all_and_delete(self):
        md, msgs = self.sample_mailbox("alice")
        server = self.start_server()
        out_dir = os.path.join(self.dir, "fetched")
        home = os.path.join(self.dir, "fmhome")
        os.makedirs(out_dir)
        os.makedirs(home, mode=0o700)
        mda = os.path.join(self.dir, "deliver.sh")
        with open(mda, "w") as f:
            f.write(f'#!/bin/sh\nexec cat > "$(mktemp {out_dir}/msg.XXXXXX)"\n')
        os.chmod(mda, 0o755)
        rc = os.path.join(home, "fetchmailrc")
        with open(rc, "w") as f:
            f.write("set no bouncemail\nset invisible\n"
                    f"poll 127.0.0.1 service {server.port} protocol pop3 auth password timeout 10\n"
                    '  user "alice" there with password "secret1" is "alice" here\n'
                    f"  options fetchall no rewrite sslproto '' mda \"{mda}\"\n")
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=home, FETCHMAILHOME=home)
        r = subprocess.run(["fetchmail", "-f", rc, "--nosyslog", "-v",
                            "--pidfile", os.path.join(home, "fetchmail.pid")], env=env,
                           capture_output=True, text=True, timeout=CLIENT_TIMEOUT,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        got = sorted(read_dir_files(out_dir))
        want = sorted(as_lf(wire_bytes(m)) for m in msgs.values())
        self.assertEqual(len(got), len(want), r.stdout + r.stderr)
        self.assertEqual(got, want)
        self.assertEqual(md.uids(), set(), "fetchmail deleted everything it fetched")
        server.log.wait_for(r"session end user=alice .*deleted=%d reason=quit" % len(msgs))


@unittest.skipUnless(shutil.which("mpop"), "Debian's mpop is not installed")
class MpopTest(PoplarTestCase):

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.server = self.start_server()
        self.out = os.path.join(self.dir, "inbox")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.out, sub))

    def mpop(self, keep: bool) -> subprocess.CompletedProcess:
        conf = os.path.join(self.dir, "mpoprc")
        with open(conf, "w") as f:
            f.write("defaults\n"
                    "tls off\n"
                    "received_header off\n"
                    "account default\n"
                    "host 127.0.0.1\n"
                    f"port {self.server.port}\n"
                    "user alice\n"
                    "password secret1\n"
                    "auth user\n"
                    f"timeout {int(TIMEOUT)}\n"
                    f"delivery maildir {self.out}\n"
                    f"uidls_file {os.path.join(self.dir, 'uidls')}\n"
                    f"keep {'on' if keep else 'off'}\n")
        os.chmod(conf, 0o600)
        return subprocess.run(["mpop", "-C", conf, "-q", "default"], capture_output=True,
                              text=True, timeout=CLIENT_TIMEOUT, stdin=subprocess.DEVNULL,
                              env=dict(os.environ, HOME=self.dir))

    def fetched(self) -> list[bytes]:
        return sorted(read_dir_files(os.path.join(self.out, "new")))

    def test_fetch_all_and_delete(self):
        r = self.mpop(keep=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.fetched(), sorted(as_lf(wire_bytes(m)) for m in self.msgs.values()))
        self.assertEqual(self.md.uids(), set())

    def test_keep_and_uidl_fetches_only_new_mail(self):
        """UIDLs are stable across sessions: a second run fetches only what is new."""
        r = self.mpop(keep=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(self.fetched()), len(self.msgs))
        late = b"From: late@example.org\nSubject: late\n\nnew one\n"
        self.md.deliver(late)
        r = self.mpop(keep=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.fetched(), sorted([as_lf(wire_bytes(m)) for m in self.msgs.values()]
                                                + [late]))
        self.assertEqual(len(self.md.uids()), len(self.msgs) + 1, "keep on: nothing deleted")


# The trace headers getmail puts in front of each message it delivers
# (Return-Path, Delivered-To, Received), with their folded continuation lines.
_GETMAIL_TRACE = re.compile(rb"\A(?:(?:Return-Path|Delivered-To|Received):[^\n]*\n(?:[ \t][^\n]*\n)*)+")


@unittest.skipUnless(shutil.which("getmail"), "Debian's getmail6 is not installed (command: getmail)")
class GetmailTest(PoplarTestCase):

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.server = self.start_server()
        self.out = os.path.join(self.dir, "gm-inbox")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.out, sub))
        # getmail refuses to deliver into a Maildir as root; as root it is told
        # to deliver as nobody, who then needs to reach and own the inbox.
        self.deliver_as = None
        if os.geteuid() == 0:
            self.deliver_as = "nobody"
            nobody = pwd.getpwnam(self.deliver_as)
            os.chmod(self.dir, 0o711)
            for path in [self.out] + [os.path.join(self.out, s) for s in ("cur", "new", "tmp")]:
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        self.getmaildir = os.path.join(self.dir, "getmail")
        os.makedirs(self.getmaildir, mode=0o700)
        self.message_log = os.path.join(self.getmaildir, "messages.log")

    def getmail(self, delete: bool) -> subprocess.CompletedProcess:
        rc = os.path.join(self.getmaildir, "getmailrc")
        destination_user = f"user = {self.deliver_as}\n" if self.deliver_as else ""
        with open(rc, "w") as f:
            f.write("[retriever]\n"
                    "type = SimplePOP3Retriever\n"
                    "server = 127.0.0.1\n"
                    f"port = {self.server.port}\n"
                    "username = alice\n"
                    f"password = {self.PASSWORDS['alice']}\n"
                    f"timeout = {int(TIMEOUT)}\n"
                    "\n[destination]\n"
                    "type = Maildir\n"
                    f"path = {self.out}/\n"
                    f"{destination_user}"
                    "\n[options]\n"
                    f"delete = {'true' if delete else 'false'}\n"
                    "read_all = false\n"
                    f"message_log = {self.message_log}\n")
        os.chmod(rc, 0o600)
        return subprocess.run(["getmail", f"--getmaildir={self.getmaildir}", f"--rcfile={rc}"],
                              capture_output=True, text=True, timeout=CLIENT_TIMEOUT,
                              stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=self.dir))

    def fetched(self) -> list[bytes]:
        """The delivered messages with getmail's trace headers stripped, sorted."""
        out = []
        for data in read_dir_files(os.path.join(self.out, "new")):
            data = as_lf(data)
            m = _GETMAIL_TRACE.match(data)
            self.assertIsNotNone(m, f"no getmail trace headers in front of {data[:200]!r}")
            out.append(data[m.end():])
        return sorted(out)

    def want(self, *raws: bytes) -> list[bytes]:
        return sorted(as_lf(wire_bytes(m)) for m in raws)

    def test_keep_then_only_new_then_delete(self):
        r = self.getmail(delete=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.fetched(), self.want(*self.msgs.values()), r.stdout + r.stderr)
        self.assertEqual(self.md.uids(), set(self.msgs), "delete = false: nothing deleted")
        self.server.log.wait_for(r"session end user=alice .*retrieved=%d .*deleted=0 reason=quit"
                                 % len(self.msgs))

        # getmail remembers UIDLs in its oldmail file: only the new message is fetched.
        late = b"From: late@example.org\nSubject: late\n\nnew one\n"
        late_uid = self.md.deliver(late)
        mark = len(self.server.log.lines)
        r = self.getmail(delete=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.fetched(), self.want(*self.msgs.values(), late), r.stdout + r.stderr)
        self.assertEqual(len(self.md.uids()), len(self.msgs) + 1)
        self.server.log.wait_for(r"session end user=alice .*retrieved=1 .*deleted=0 reason=quit",
                                 start=mark)

        # delete = true: seen messages are deleted unread, a new one is fetched then deleted.
        later = b"From: later@example.org\nSubject: later\n\nanother\n"
        later_uid = self.md.deliver(later)
        mark = len(self.server.log.lines)
        r = self.getmail(delete=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.fetched(), self.want(*self.msgs.values(), late, later),
                         r.stdout + r.stderr)
        self.assertEqual(self.md.uids(), set(), "delete = true removed everything")
        self.server.log.wait_for(r"session end user=alice .*retrieved=1 .*deleted=%d reason=quit"
                                 % (len(self.msgs) + 2), start=mark)
        # Its message log names each delivery by the UIDL poplar gave: each once.
        with open(self.message_log) as f:
            logged = re.findall(r" msgid (\S+) .* delivered to ", f.read())
        self.assertEqual(sorted(logged), sorted([*self.msgs, late_uid, later_uid]))


if __name__ == "__main__":
    unittest.main()
