"""Authentication through the wire: USER/PASS against {PLAIN} and
{SHA512-CRYPT} secrets, the failure delay and [AUTH] code, passwords kept out
of the log, passwd-file edits picked up live, and APOP."""

import hashlib
import os
import poplib
import random
import re
import subprocess
import time
import unittest
import warnings

from poplar_fixture import PoplarTestCase, SANITIZER_REPORT, TIMEOUT, sha512_crypt

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # deprecated (PEP 594), still in 3.11: the only stdlib way to libcrypt


class FailedLoginTest(PoplarTestCase):
    """A failed login costs auth_failure_delay and says [AUTH], user known or not."""

    DELAY = 0.3
    WRONG = "Wr0ngPassw0rd-7f3a"

    def setUp(self):
        super().setUp()
        self.maildir("alice").deliver(b"Subject: x\n\nx\n")
        self.server = self.start_server(auth_failure_delay="300ms")

    def failed_login(self, user: str, password: str) -> tuple[str, float]:
        """Returns the failing reply and how long the server took to give it."""
        c = self.connect(self.server)
        start = time.monotonic()
        reply = c.cmd(f"USER {user}")
        if reply.startswith("+OK"):
            start = time.monotonic()
            reply = c.cmd(f"PASS {password}")
        elapsed = time.monotonic() - start
        c.cmd("QUIT")
        return reply, elapsed

    def test_wrong_password_is_auth_error_after_delay(self):
        reply, elapsed = self.failed_login("alice", self.WRONG)
        self.assertErr(reply, "AUTH")
        self.assertGreaterEqual(elapsed, self.DELAY)

    def test_unknown_user_is_auth_error_after_delay(self):
        reply, elapsed = self.failed_login("nobody", self.WRONG)
        self.assertErr(reply, "AUTH")
        self.assertGreaterEqual(elapsed, self.DELAY)

    def test_unknown_user_and_wrong_password_look_the_same(self):
        """The same reply text for both, so the reply does not tell whether a user exists."""
        r1, _ = self.failed_login("alice", self.WRONG)
        r2, _ = self.failed_login("nobody", self.WRONG)
        self.assertEqual(r1, r2)

    def test_passwords_never_logged(self):
        c = self.connect(self.server)
        self.assertErr(c.cmd(f"PASS {self.WRONG}"))  # PASS without USER: a bad command
        c.close()
        self.failed_login("alice", self.WRONG)
        self.failed_login("nobody", self.WRONG)
        c = self.connect(self.server)
        c.login("alice", "secret1")
        self.assertOk(c.cmd("QUIT"))
        self.server.log.wait_for(r"session end user=alice ")
        self.assertEqual(self.server.terminate(), 0, self.server.log.text())
        log = self.server.log.text()
        self.assertEqual(len(re.findall(r"session end user=- ", log)), 3, log)
        self.assertNotIn(self.WRONG, log)
        self.assertNotIn("secret1", log)

    def test_failed_then_good_login_on_same_connection(self):
        c = self.connect(self.server)
        self.assertOk(c.cmd("USER alice"))
        self.assertErr(c.cmd(f"PASS {self.WRONG}"), "AUTH")
        c.login("alice", "secret1")
        self.assertTrue(c.cmd("STAT").startswith("+OK 1 "))
        self.assertOk(c.cmd("QUIT"))


class PasswdFileTest(PoplarTestCase):
    """Hashed secrets and a passwd-file that changes while the server runs."""

    def setUp(self):
        super().setUp()
        self.users["carol"] = sha512_crypt("hashed-pw")
        self.write_passwd()
        self.server = self.start_server()

    def try_login(self, user: str, password: str) -> str:
        """The PASS reply (or the failing USER reply) of a fresh connection."""
        c = self.connect(self.server)
        reply = c.cmd(f"USER {user}")
        if reply.startswith("+OK"):
            reply = c.cmd(f"PASS {password}")
        c.cmd("QUIT")
        c.close()
        return reply

    def eventually_login(self, user: str, password: str) -> str:
        """Retries a login for a bounded time: the server may notice the edit a bit later."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self.try_login(user, password)
            if reply.startswith("+OK") or time.monotonic() > deadline:
                return reply

    def test_sha512_crypt_user_logs_in(self):
        self.assertOk(self.try_login("carol", "hashed-pw"))
        self.assertErr(self.try_login("carol", "hashed-pX"), "AUTH")

    def test_user_added_to_passwd_file_can_log_in_without_restart(self):
        self.assertErr(self.try_login("dave", "pw-dave"), "AUTH")
        with open(self.passwd_path, "a") as f:
            f.write("dave:{PLAIN}pw-dave:1003:1003::/home/dave::\n")
        self.assertOk(self.eventually_login("dave", "pw-dave"))

    def test_password_changed_by_atomic_replace_is_picked_up(self):
        self.assertOk(self.try_login("alice", "secret1"))
        self.users["alice"] = "{PLAIN}new-secret"
        real = self.passwd_path
        self.passwd_path = real + ".new"
        self.write_passwd()
        os.replace(self.passwd_path, real)
        self.passwd_path = real
        self.assertOk(self.eventually_login("alice", "new-secret"))
        self.assertErr(self.try_login("alice", "secret1"), "AUTH")


class ApopTest(PoplarTestCase):
    """RFC 1939 APOP: md5(timestamp + secret), {PLAIN} secrets only."""

    def setUp(self):
        super().setUp()
        self.users["carol"] = sha512_crypt("hashed-pw")
        self.write_passwd()
        self.maildir("alice").deliver(b"Subject: apop\n\nhi\n")

    def test_apop_login_with_greeting_timestamp(self):
        server = self.start_server(apop=True)
        pop = poplib.POP3("127.0.0.1", server.port, timeout=TIMEOUT)
        self.addCleanup(pop.close)
        self.assertRegex(pop.getwelcome(), rb"^\+OK .*<[^<>]+@test\.example>")
        self.assertTrue(pop.apop("alice", "secret1").startswith(b"+OK"))
        self.assertEqual(pop.stat()[0], 1)
        self.assertTrue(pop.quit().startswith(b"+OK"))

    def test_apop_digest_computed_by_hand(self):
        server = self.start_server(apop=True)
        c = self.connect(server)
        stamp = re.search(r"<[^<>]+@test\.example>", c.greeting.decode()).group(0)
        digest = hashlib.md5((stamp + "secret1").encode()).hexdigest()
        self.assertOk(c.cmd(f"APOP alice {digest}"))
        self.assertTrue(c.cmd("STAT").startswith("+OK 1 "))

    def test_apop_timestamps_differ_between_connections(self):
        server = self.start_server(apop=True)
        g1 = self.connect(server).greeting
        g2 = self.connect(server).greeting
        self.assertNotEqual(g1, g2)

    def test_apop_wrong_digest_is_auth_error(self):
        server = self.start_server(apop=True)
        c = self.connect(server)
        self.assertErr(c.cmd("APOP alice " + "0" * 32), "AUTH")

    def test_apop_for_hashed_user_is_auth_error(self):
        server = self.start_server(apop=True)
        c = self.connect(server)
        stamp = re.search(r"<[^<>]+@test\.example>", c.greeting.decode()).group(0)
        digest = hashlib.md5((stamp + "hashed-pw").encode()).hexdigest()
        self.assertErr(c.cmd(f"APOP carol {digest}"), "AUTH")

    def test_user_pass_still_works_with_apop_on(self):
        server = self.start_server(apop=True)
        c = self.connect(server)
        c.login("alice", "secret1")
        self.assertOk(c.cmd("QUIT"))

    def test_apop_off_no_timestamp_and_command_refused(self):
        server = self.start_server(apop=False)
        c = self.connect(server)
        self.assertOk(c.greeting.decode())
        self.assertNotRegex(c.greeting.decode(), r"<[^<>]+@[^<>]+>")
        self.assertErr(c.cmd("APOP alice " + "0" * 32))



class RepeatedFailureTest(PoplarTestCase):
    """Review finding: password guesses on one connection count as bad commands."""

    def test_third_failed_login_closes_the_connection(self):
        server = self.start_server(auth_failure_delay="0s", max_bad_commands_before_login=3)
        c = self.connect(server)
        for attempt in range(2):
            self.assertOk(c.cmd("USER alice"))
            self.assertErr(c.cmd("PASS wrong"), "AUTH", f"attempt {attempt + 1}")
        self.assertOk(c.cmd("USER alice"))
        last = c.cmd("PASS wrong")
        self.assertErr(last, "AUTH")
        self.assertIn("closing connection", last)
        self.assertTrue(c.at_eof())
        server.log.wait_for(r"session end user=- .*reason=too-many-bad-commands")
        # The right password on a new connection still works.
        again = self.connect(server)
        again.login("alice", "secret1")
        self.assertOk(again.cmd("QUIT"))


def sha256_crypt(password: str, salt: str = "saltsalt") -> str:
    out = subprocess.run(["openssl", "passwd", "-5", "-salt", salt, password],
                         check=True, capture_output=True, text=True, timeout=TIMEOUT)
    return out.stdout.strip()


def libcrypt(password: str, setting: str) -> str | None:
    """crypt(3) through Python's crypt module; None when libcrypt refuses the setting."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        hashed = crypt.crypt(password, setting)
    if not hashed or hashed.startswith("*"):
        return None
    return hashed


def yescrypt_setting() -> str:
    alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    # 22 characters are 132 bits for a 128-bit salt: the last one carries only
    # 2 bits, so it must be one of "./01" for libxcrypt to take the salt.
    return "$y$j9T$" + "".join(random.choice(alphabet) for _ in range(21)) + random.choice("./01")


class CryptSchemeTest(PoplarTestCase):
    """Every crypt(3) scheme of the passwd-file, logged in through the binary,
    and a scheme poplar does not know."""

    WRONG = "not-the-password"

    def setUp(self):
        super().setUp()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            blowfish_salt = crypt.mksalt(crypt.METHOD_BLOWFISH)
            des_salt = crypt.mksalt(crypt.METHOD_CRYPT)
        self.blowfish = libcrypt("pw-blf", blowfish_salt)
        self.assertIsNotNone(self.blowfish, "libcrypt refused a bcrypt salt")
        self.assertTrue(self.blowfish.startswith("$2"), self.blowfish)
        self.des = libcrypt("pw-des", des_salt)
        self.assertIsNotNone(self.des, "libcrypt refused a DES salt")
        self.assertFalse(self.des.startswith("$"), self.des)
        self.yescrypt = libcrypt("pw-yes", yescrypt_setting())
        self.users["sha256"] = "{SHA256-CRYPT}" + sha256_crypt("pw-sha256")
        self.users["blf"] = "{BLF-CRYPT}" + self.blowfish
        self.users["des"] = self.des  # no {SCHEME}: CRYPT, Dovecot's default
        if self.yescrypt is not None:
            self.users["yestagged"] = "{CRYPT}" + self.yescrypt
            self.users["yesbare"] = self.yescrypt
        self.users["rot"] = "{ROT13}x"
        self.write_passwd()
        self.maildir("blf").deliver(b"Subject: blf\n\nx\n")
        self.server = self.start_server()

    def try_login(self, user: str, password: str) -> str:
        c = self.connect(self.server)
        self.assertOk(c.cmd(f"USER {user}"))
        reply = c.cmd(f"PASS {password}")
        c.cmd("QUIT")
        c.close()
        return reply

    def assert_scheme_works(self, user: str, password: str):
        self.assertOk(self.try_login(user, password), f"{user}: {self.users[user]}")
        self.assertErr(self.try_login(user, self.WRONG), "AUTH", f"{user}: {self.users[user]}")

    def need_yescrypt(self):
        if self.yescrypt is None:
            self.skipTest("this libcrypt does not make yescrypt hashes")
        self.assertTrue(self.yescrypt.startswith("$y$"), self.yescrypt)

    def test_sha256_crypt(self):
        self.assertTrue(self.users["sha256"].startswith("{SHA256-CRYPT}$5$saltsalt$"))
        self.assert_scheme_works("sha256", "pw-sha256")

    def test_blf_crypt(self):
        self.assert_scheme_works("blf", "pw-blf")
        c = self.connect(self.server)
        c.login("blf", "pw-blf")
        self.assertTrue(c.cmd("STAT").startswith("+OK 1 "))

    def test_yescrypt_with_crypt_scheme(self):
        self.need_yescrypt()
        self.assert_scheme_works("yestagged", "pw-yes")

    def test_yescrypt_without_scheme(self):
        self.need_yescrypt()
        self.assert_scheme_works("yesbare", "pw-yes")

    def test_des_crypt_without_scheme(self):
        self.assert_scheme_works("des", "pw-des")

    def test_unknown_scheme_refused_and_logged_once(self):
        self.assertErr(self.try_login("rot", "x"), "AUTH")
        self.assertErr(self.try_login("rot", "x"), "AUTH")
        self.server.log.wait_for(r"session end user=- ")
        # Stop the server so that every line it wrote has been read.
        self.assertEqual(self.server.terminate(), 0, self.server.log.text())
        log = self.server.log.text()
        self.assertNotRegex(log, SANITIZER_REPORT)
        self.assertEqual(len(re.findall(r"session end user=- ", log)), 2, log)
        mentions = [line for line in log.splitlines() if "ROT13" in line]
        self.assertEqual(len(mentions), 1, log)
        self.assertIn("unknown password scheme {ROT13}", mentions[0])


if __name__ == "__main__":
    unittest.main()
