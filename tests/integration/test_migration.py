"""Moving from another server without re-downloads (issue 4): a Maildir served
by the real Dovecot (and Courier) from Debian, then by poplar, must list the
same message numbers with the same UIDLs; mail delivered after the move gets
poplar's own UIDL; `poplar migrate-uidl` imports a map from any server."""
import os
import poplib
import shutil
import subprocess
import unittest

from foreign_servers import (Dovecot, courier_missing, courier_uidl_list, dovecot_missing, give_to_mail_user)
from poplar_fixture import POPLAR_BIN, TIMEOUT, PoplarTestCase, wire_bytes

EX_DATAERR, EX_NOINPUT, EX_NOUSER, EX_TEMPFAIL = 65, 66, 67, 75


def message(n: int) -> bytes:
    return (f"From: sender{n}@example.org\nTo: alice@test.example\nSubject: message {n}\n"
            f"Message-ID: <m{n}.old-server@example.org>\n\nbody of message {n}\n").encode()


class MigrationTestCase(PoplarTestCase):

    def setUp(self):
        super().setUp()
        os.chmod(self.dir, 0o711)  # the mail processes of Dovecot run as nobody
        self.md = self.maildir("alice")

    def spool(self):
        """A Maildir as a year of Dovecot/Postfix use leaves it: names with and
        without sizes, messages read (cur/, flags) and unread (new/), two in
        one second told apart by their microseconds."""
        names = [
            (1690000000, "M100000P1001.mx", True, "cur", ":2,S"),
            (1690000100, "M9P1002.mx", True, "cur", ":2,RS"),
            (1690000100, "M10P1003.mx", True, "cur", ":2,"),
            (1690000200, "V803I4001M5000.mx", False, "new", ""),   # Postfix's local(8) name
            (1690000300, "M1P1004.mx", True, "new", ""),
        ]
        for n, (stamp, unique, sizes, sub, flags) in enumerate(names, 1):
            raw = message(n)
            name = f"{stamp}.{unique}"
            if sizes:
                name += f",S={len(raw)},W={len(wire_bytes(raw))}"
            with open(os.path.join(self.md.path, sub, name + flags), "wb") as f:
                f.write(raw)

    def pop_list(self, port: int, user="alice", password="secret1", dele=(), message_ids=False):
        """(number, UIDL) pairs through poplib, or with message_ids (number,
        UIDL, Message-ID) triples, the Message-ID from TOP n 0; DELE `dele`
        then QUIT."""
        c = poplib.POP3("127.0.0.1", port, timeout=TIMEOUT)
        try:
            c.user(user)
            c.pass_(password)
            reply, lines, _ = c.uidl()
            listed = [(int(n), u) for n, u in (line.decode().split(" ", 1) for line in lines)]
            if message_ids:
                listed = [(n, u, next(h.split(b":", 1)[1].strip().decode() for h in c.top(n, 0)[1]
                                      if h.lower().startswith(b"message-id:"))) for n, u in listed]
            for number in dele:
                c.dele(number)
            c.quit()
        finally:
            c.close()
        return listed

    def poplar_list(self, **kw) -> list[tuple[int, str]]:
        server = self.start_server()
        try:
            return self.pop_list(server.port, **kw)
        finally:
            server.stop()

    def dovecot_list(self, settings: str = "", **kw) -> list[tuple[int, str]]:
        give_to_mail_user(self.md.path)
        dovecot = Dovecot(self.dir, self.mail_root, {"alice": "secret1"}, settings)
        self.addCleanup(dovecot.stop)
        try:
            return self.pop_list(dovecot.port, **kw)
        finally:
            dovecot.stop()

    def deliver(self, raw: bytes) -> str:
        """Delivers through `poplar deliver`, as the MTA would after the move;
        returns the new file's base name."""
        before = set(os.listdir(os.path.join(self.md.path, "new")))
        done = subprocess.run([POPLAR_BIN, "deliver", "alice", "-c", self.write_config()], input=raw,
                              capture_output=True, timeout=TIMEOUT)
        self.assertEqual(done.returncode, 0, done.stderr)
        (name,) = set(os.listdir(os.path.join(self.md.path, "new"))) - before
        return name

    def renumbered(self, pairs):
        return [(i, uidl) for i, (_, uidl) in enumerate(pairs, 1)]


@unittest.skipIf(dovecot_missing(), dovecot_missing())
class DovecotMigrationTest(MigrationTestCase):

    def test_uidls_identical_after_the_move_then_new_mail_then_delete(self):
        self.spool()
        dovecot = self.dovecot_list()
        with open(os.path.join(self.md.path, "dovecot-uidlist")) as f:
            uidlist = f.read()
        self.assertEqual(len(dovecot), 5)
        self.assertRegex(dovecot[0][1], r"^[0-9a-f]{16}$", "Dovecot's default %08Xu%08Xv, as it prints it")

        self.assertEqual(self.poplar_list(), dovecot, "same numbers, same UIDLs:\n" + uidlist)

        new_name = self.deliver(message(6))
        self.assertEqual(self.poplar_list(), dovecot + [(6, new_name)])

        self.assertEqual(self.poplar_list(dele=[2]), dovecot + [(6, new_name)])
        after = self.renumbered([dovecot[0]] + dovecot[2:] + [(6, new_name)])
        self.assertEqual(self.poplar_list(), after)

        # And back: Dovecot, started again, still agrees on the old messages.
        again = self.dovecot_list()
        self.assertEqual(again[:4], after[:4])

    def test_uidls_dovecot_saved_with_pop3_save_uidl(self):
        # A server whose pop3_uidl_format was changed: Dovecot kept the UIDLs
        # it had shown as P fields, and shows new mail in the new format.
        self.spool()
        saved = self.dovecot_list("pop3_uidl_format = %v.%u\npop3_save_uidl = yes\n")
        with open(os.path.join(self.md.path, "dovecot-uidlist")) as f:
            self.assertIn(f" P{saved[0][1]} :", f.read())
        self.md.deliver(message(6), stamp=1690000400)
        dovecot = self.dovecot_list()
        self.assertEqual(dovecot[:5], saved)
        self.assertRegex(dovecot[5][1], r"^[0-9a-f]{16}$")
        self.assertEqual(self.poplar_list(), dovecot)


@unittest.skipIf(courier_missing(), courier_missing())
class CourierMigrationTest(MigrationTestCase):

    def test_uidls_identical_after_the_move_then_new_mail_then_delete(self):
        self.spool()
        courier = courier_uidl_list(self.md.path)
        self.assertTrue(os.path.exists(os.path.join(self.md.path, "courierpop3dsizelist")))
        self.assertRegex(courier[0][1], r"^UID1-\d+$")

        # Every message keeps its UIDL. The numbers are the same but for the
        # two messages of one second: Courier sorts their names bytewise
        # ("M10" before "M9"), poplar by microseconds, as Dovecot does.
        poplar = self.poplar_list(message_ids=True)
        self.assertEqual({u: m for _, u, m in poplar}, {u: m for _, u, m in courier})
        self.assertEqual(poplar, self.renumbered3([courier[0], courier[2], courier[1], *courier[3:]]))

        new_name = self.deliver(message(6))
        expected = poplar + [(6, new_name, "<m6.old-server@example.org>")]
        self.assertEqual(self.poplar_list(message_ids=True), expected)
        self.assertEqual(self.poplar_list(dele=[1]), [(n, u) for n, u, _ in expected])
        self.assertEqual(self.poplar_list(message_ids=True), self.renumbered3(expected[1:]))

    def renumbered3(self, triples):
        return [(i, uidl, mid) for i, (_, uidl, mid) in enumerate(triples, 1)]


class MigrateUidlCommandTest(MigrationTestCase):

    def migrate(self, text: str | None, user="alice") -> subprocess.CompletedProcess:
        path = os.path.join(self.dir, "uidls.txt")
        if text is not None:
            with open(path, "w") as f:
                f.write(text)
        return subprocess.run([POPLAR_BIN, "migrate-uidl", user, path, "-c", self.write_config()],
                              capture_output=True, text=True, timeout=TIMEOUT)

    @unittest.skipIf(dovecot_missing(), dovecot_missing())
    def test_round_trip_from_a_server_poplar_cannot_read(self):
        # Export Dovecot's UIDL list as a Message-ID map (what `doveadm fetch
        # "hdr.message-id pop3.uidl"` gives), as if its files were lost, and
        # import it: poplar then lists Dovecot's UIDLs.
        self.spool()
        dovecot = self.dovecot_list()
        os.remove(os.path.join(self.md.path, "dovecot-uidlist"))
        own = self.poplar_list()
        self.assertNotEqual(own, dovecot)
        lines = [f"<m{n}.old-server@example.org> {uidl}" for n, uidl in dovecot]
        lines.insert(2, "<never-delivered@example.org> 00000063deadbeef")
        done = self.migrate("# exported from Dovecot\n" + "\n".join(lines) + "\n")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("matched 5 of 6 lines; 5 UIDLs written", done.stdout)
        self.assertIn("not matched: line 4: no message with Message-ID <never-delivered@example.org>", done.stdout)
        self.assertEqual(self.poplar_list(), dovecot)

    def test_by_file_name_and_bad_files(self):
        self.spool()
        own = self.poplar_list()
        done = self.migrate(f"{own[0][1]}:2,S OLD-1\n{own[1][1]} OLD-2\n")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(self.poplar_list(), [(1, "OLD-1"), (2, "OLD-2")] + own[2:])

        with open(os.path.join(self.md.path, "poplar-uidls")) as f:
            record = f.read()
        done = self.migrate(f"{own[2][1]} NEW-3\n{own[3][1]}\n{own[4][1]} {'x' * 71}\n")
        self.assertEqual(done.returncode, EX_DATAERR)
        self.assertIn("line 2: expected '<msgid-or-filename> <uidl>'", done.stderr)
        self.assertIn("line 3: the UIDL is not 1..70 characters", done.stderr)
        done = self.migrate(f"{own[2][1]} NEW-3\n{own[4][1]} OLD-1\n")
        self.assertEqual(done.returncode, EX_DATAERR)
        self.assertIn(f"line 2: UIDL OLD-1 would also be the UIDL of message {own[0][1]}", done.stderr)
        with open(os.path.join(self.md.path, "poplar-uidls")) as f:
            self.assertEqual(f.read(), record, "nothing written")

        done = self.migrate(f"{own[2][1]} DUP\n{own[3][1]} DUP\n")
        self.assertEqual(done.returncode, EX_DATAERR)
        self.assertIn("line 2: UIDL DUP is on line 1 too", done.stderr)

    def test_exit_codes(self):
        self.spool()
        self.assertEqual(self.migrate("a b\n", user="mallory").returncode, EX_NOUSER)
        os.remove(os.path.join(self.dir, "uidls.txt"))
        self.assertEqual(self.migrate(None).returncode, EX_NOINPUT)

        server = self.start_server()
        c = self.connect(server)
        c.login("alice", "secret1")
        done = self.migrate("1690000000.M100000P1001.mx X\n")
        self.assertEqual(done.returncode, EX_TEMPFAIL)
        self.assertIn("in use", done.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.md.path, "poplar-uidls")))


if __name__ == "__main__":
    unittest.main()
