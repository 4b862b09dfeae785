"""The quick start's demo: scripts/demo-setup.sh makes a config, a user (with
`poplar user add`) and a welcome message (with `poplar deliver`) that a real
client can fetch from the real binary, in the clear and over TLS."""

import os
import subprocess
import tempfile
import shutil
import unittest

from poplar_fixture import POPLAR_BIN, TIMEOUT, Server

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class DemoSetupTest(unittest.TestCase):

    def setUp(self):
        if not POPLAR_BIN or not os.access(POPLAR_BIN, os.X_OK):
            self.fail(f"POPLAR_BIN={POPLAR_BIN!r} is not an executable poplar binary")
        self.dir = tempfile.mkdtemp(prefix="poplar-demo-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def setup_demo(self) -> subprocess.CompletedProcess:
        env = dict(os.environ, POPLAR_DEMO_PORT="0", POPLAR_DEMO_TLS_PORT="0")  # free ports, as every test uses
        return subprocess.run([os.path.join(REPO, "scripts", "demo-setup.sh"), self.dir],
                              capture_output=True, text=True, timeout=TIMEOUT, env=env)

    @unittest.skipUnless(shutil.which("curl"), "Debian's curl is not installed")
    def test_demo_user_fetches_the_welcome_message_with_curl(self):
        made = self.setup_demo()
        self.assertEqual(made.returncode, 0, made.stderr)
        with open(os.path.join(self.dir, "demo-password")) as f:
            password = f.read().strip()
        self.assertIn(f"password '{password}'", made.stdout)  # the user is told
        server = Server(os.path.join(self.dir, "poplar.toml"))
        self.addCleanup(server.stop)
        fetched = subprocess.run(["curl", "-sS", "--max-time", str(int(TIMEOUT)), "-u", f"demo:{password}",
                                  f"pop3://127.0.0.1:{server.port}/1"],
                                 capture_output=True, timeout=TIMEOUT + 5)
        self.assertEqual(fetched.returncode, 0, fetched.stderr)
        self.assertIn(b"Subject: Welcome to poplar", fetched.stdout)
        # POP3S with the demo's own certificate, verified as the printed line does it.
        cert = os.path.join(self.dir, "tls", "cert.pem")
        self.assertIn(f"--cacert {cert}", made.stdout)
        secure = subprocess.run(["curl", "-sS", "--max-time", str(int(TIMEOUT)), "--cacert", cert,
                                 "-u", f"demo:{password}", f"pop3s://localhost:{server.tls_port}/1"],
                                capture_output=True, timeout=TIMEOUT + 5)
        self.assertEqual(secure.returncode, 0, secure.stderr)
        self.assertEqual(secure.stdout, fetched.stdout)

    def test_running_it_again_keeps_the_user_and_the_mail(self):
        self.assertEqual(self.setup_demo().returncode, 0)
        with open(os.path.join(self.dir, "users")) as f:
            users = f.read()
        self.assertTrue(users.startswith("demo:{CRYPT}$y$"), users)  # poplar user add's default, yescrypt
        mail = os.path.join(self.dir, "mail", "demo", "new")
        before = sorted(os.listdir(mail))
        self.assertEqual(len(before), 1)
        with open(os.path.join(self.dir, "tls", "cert.pem")) as f:
            certificate = f.read()
        again = self.setup_demo()
        self.assertEqual(again.returncode, 0, again.stderr)
        with open(os.path.join(self.dir, "users")) as f:
            self.assertEqual(f.read(), users)
        self.assertEqual(sorted(os.listdir(mail)), before)
        with open(os.path.join(self.dir, "tls", "cert.pem")) as f:
            self.assertEqual(f.read(), certificate, "the certificate a client may already trust is kept")


if __name__ == "__main__":
    unittest.main()
