"""A POP3 session end to end against the real binary: RFC 1939 commands through
poplib and through raw sockets, exact sizes and bytes, CAPA, LAST, pipelining,
and a Maildir that changes under an open session."""

import os
import poplib
import unittest

from poplar_fixture import (PoplarTestCase, ReplyReader, TIMEOUT, header_block, toml_value, wire_bytes)


class PoplibSessionTest(PoplarTestCase):
    """The whole transaction state as Python's poplib drives it."""

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.server = self.start_server()
        self.pop = poplib.POP3("127.0.0.1", self.server.port, timeout=TIMEOUT)
        self.addCleanup(self.pop.close)

    def login(self):
        self.assertTrue(self.pop.user("alice").startswith(b"+OK"))
        self.assertTrue(self.pop.pass_("secret1").startswith(b"+OK"))

    def numbers_to_uids(self) -> dict[int, str]:
        resp, lines, _ = self.pop.uidl()
        self.assertTrue(resp.startswith(b"+OK"))
        out = {}
        for line in lines:
            num, uid = line.decode().split(" ")
            out[int(num)] = uid
        return out

    def test_greeting_is_ok(self):
        self.assertTrue(self.pop.getwelcome().startswith(b"+OK"))

    def test_stat_list_uidl_match_the_files(self):
        """STAT/LIST octets equal the file with LF->CRLF; UIDL is the base name."""
        self.login()
        count, size = self.pop.stat()
        self.assertEqual(count, len(self.msgs))
        self.assertEqual(size, sum(len(wire_bytes(r)) for r in self.msgs.values()))
        uids = self.numbers_to_uids()
        self.assertEqual(sorted(uids), list(range(1, len(self.msgs) + 1)))
        self.assertEqual(set(uids.values()), set(self.msgs))
        resp, lines, _ = self.pop.list()
        self.assertTrue(resp.startswith(b"+OK"))
        self.assertEqual(len(lines), len(self.msgs))
        for line in lines:
            num, octets = (int(x) for x in line.split())
            self.assertEqual(octets, len(wire_bytes(self.msgs[uids[num]])), f"LIST {num}")
        for num, uid in uids.items():
            self.assertEqual(self.pop.list(num), b"+OK %d %d" % (num, len(wire_bytes(self.msgs[uid]))))
            self.assertEqual(self.pop.uidl(num), b"+OK %d %s" % (num, uid.encode()))

    def test_retr_is_byte_for_byte_the_file_with_crlf(self):
        self.login()
        for num, uid in self.numbers_to_uids().items():
            resp, lines, _ = self.pop.retr(num)
            self.assertTrue(resp.startswith(b"+OK"))
            got = b"".join(line + b"\r\n" for line in lines)
            self.assertEqual(got, wire_bytes(self.msgs[uid]), f"RETR {num} ({uid})")

    def test_top_zero_gives_headers_and_blank_line_only(self):
        self.login()
        for num, uid in self.numbers_to_uids().items():
            resp, lines, _ = self.pop.top(num, 0)
            self.assertTrue(resp.startswith(b"+OK"))
            got = b"".join(line + b"\r\n" for line in lines)
            self.assertEqual(got, header_block(self.msgs[uid]), f"TOP {num} 0")

    def test_top_with_lines_gives_that_many_body_lines(self):
        self.login()
        uids = self.numbers_to_uids()
        big = max(uids, key=lambda n: len(self.msgs[uids[n]]))
        _, lines, _ = self.pop.top(big, 3)
        wire = wire_bytes(self.msgs[uids[big]])
        head = header_block(self.msgs[uids[big]])
        body_lines = wire[len(head):].split(b"\r\n")[:3]
        self.assertEqual(b"".join(l + b"\r\n" for l in lines), head + b"".join(l + b"\r\n" for l in body_lines))

    def test_dele_marks_rset_undoes_quit_applies(self):
        self.login()
        uids = self.numbers_to_uids()
        self.assertTrue(self.pop.dele(1).startswith(b"+OK"))
        with self.assertRaises(poplib.error_proto) as cm:
            self.pop.list(1)
        self.assertTrue(cm.exception.args[0].startswith(b"-ERR"), cm.exception)
        with self.assertRaises(poplib.error_proto):
            self.pop.retr(1)
        with self.assertRaises(poplib.error_proto):
            self.pop.dele(1)
        count, _ = self.pop.stat()
        self.assertEqual(count, len(self.msgs) - 1, "STAT counts deleted messages")
        self.assertTrue(self.pop.rset().startswith(b"+OK"))
        self.assertTrue(self.pop.list(1).startswith(b"+OK 1 "))
        self.assertEqual(self.pop.stat()[0], len(self.msgs))
        self.assertTrue(self.pop.dele(2).startswith(b"+OK"))
        self.assertTrue(self.pop.dele(4).startswith(b"+OK"))
        self.assertTrue(self.pop.noop().startswith(b"+OK"))
        self.assertTrue(self.pop.quit().startswith(b"+OK"))
        # The QUIT reply comes after UPDATE: the files are gone now.
        self.assertEqual(self.md.uids(), set(self.msgs) - {uids[2], uids[4]})

    def test_last_rfc1225(self):
        """LAST is the highest number accessed; RETR 2 -> 2; RSET -> 0."""
        self.login()
        self.assertEqual(self.pop._shortcmd("LAST").split()[:2], [b"+OK", b"0"])
        self.pop.retr(2)
        self.assertEqual(self.pop._shortcmd("LAST").split()[:2], [b"+OK", b"2"])
        self.pop.rset()
        self.assertEqual(self.pop._shortcmd("LAST").split()[:2], [b"+OK", b"0"])

    def test_capa_lists_the_contract_tags(self):
        for phase in ("before login", "after login"):
            caps = self.pop.capa()
            for tag in ("TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"):
                self.assertIn(tag, caps, phase)
            self.assertIn("IMPLEMENTATION", caps, phase)
            self.assertTrue(caps["IMPLEMENTATION"] and caps["IMPLEMENTATION"][0].startswith("poplar"),
                            f"{phase}: IMPLEMENTATION {caps['IMPLEMENTATION']}")
            self.assertNotIn("LAST", caps, phase)
            if phase == "before login":
                self.assertIn("USER", caps)
                self.login()

    def test_new_moves_to_cur_on_open(self):
        self.login()
        self.assertEqual(os.listdir(os.path.join(self.md.path, "new")), [])
        cur = sorted(os.listdir(os.path.join(self.md.path, "cur")))
        self.assertEqual(cur, sorted(uid + ":2," for uid in self.msgs))
        self.assertTrue(self.pop.quit().startswith(b"+OK"))
        self.assertTrue(os.path.exists(os.path.join(self.md.path, "poplar.lock")))


class RawSessionTest(PoplarTestCase):
    """Exact wire bytes, state rules and a Maildir changing under a session."""

    def setUp(self):
        super().setUp()
        self.md, self.msgs = self.sample_mailbox("alice")
        self.server = self.start_server()

    def uid_map(self, client) -> dict[int, str]:
        status, body = client.multi("UIDL")
        self.assertOk(status)
        return {int(n): u for n, u in (l.split(" ") for l in body.decode().splitlines())}

    def test_retr_raw_bytes_and_octet_count_in_status(self):
        """RETR body after unstuffing equals the file with LF->CRLF, dot-stuffed on the wire."""
        c = self.connect(self.server)
        self.assertOk(c.greeting.decode())
        c.login("alice", "secret1")
        for num, uid in self.uid_map(c).items():
            status, body = c.multi(f"RETR {num}")
            self.assertOk(status)
            self.assertEqual(body, wire_bytes(self.msgs[uid]), f"RETR {num}")
        self.assertOk(c.cmd("QUIT"))
        self.assertTrue(c.at_eof(), "server keeps the connection open after QUIT")

    def test_lowercase_commands(self):
        c = self.connect(self.server)
        self.assertOk(c.cmd("user alice"))
        self.assertOk(c.cmd("pass secret1"))
        self.assertTrue(c.cmd("stat").startswith(f"+OK {len(self.msgs)} "))
        status, body = c.multi("list")
        self.assertOk(status)
        self.assertEqual(len(body.splitlines()), len(self.msgs))
        self.assertTrue(c.cmd("Uidl 1").startswith("+OK 1 "))
        self.assertOk(c.cmd("noop"))
        self.assertOk(c.cmd("quit"))

    def test_wrong_state_commands_are_refused_and_state_is_kept(self):
        c = self.connect(self.server)
        self.assertErr(c.cmd("STAT"), msg="STAT before login")
        self.assertErr(c.cmd("PASS secret1"), msg="PASS without USER")
        c.login("alice", "secret1")
        self.assertErr(c.cmd("USER bob"), msg="USER after login")
        self.assertErr(c.cmd("PASS secret2"), msg="PASS after login")
        self.assertTrue(c.cmd("STAT").startswith(f"+OK {len(self.msgs)} "), "still alice's mailbox")
        self.assertOk(c.cmd("QUIT"))

    def test_delivery_during_session_waits_for_next_login(self):
        c = self.connect(self.server)
        c.login("alice", "secret1")
        self.assertTrue(c.cmd("STAT").startswith(f"+OK {len(self.msgs)} "))
        late = b"From: late@example.org\nSubject: late\n\narrived mid-session\n"
        late_uid = self.md.deliver(late)
        self.assertTrue(c.cmd("STAT").startswith(f"+OK {len(self.msgs)} "))
        self.assertNotIn(late_uid, self.uid_map(c).values())
        self.assertErr(c.cmd(f"LIST {len(self.msgs) + 1}"))
        self.assertOk(c.cmd("QUIT"))
        self.assertTrue(os.path.exists(os.path.join(self.md.path, "new", late_uid)),
                        "a message delivered mid-session must stay untouched in new/")

        c2 = self.connect(self.server)
        c2.login("alice", "secret1")
        self.assertTrue(c2.cmd("STAT").startswith(f"+OK {len(self.msgs) + 1} "))
        uids = self.uid_map(c2)
        self.assertIn(late_uid, uids.values())
        num = next(n for n, u in uids.items() if u == late_uid)
        status, body = c2.multi(f"RETR {num}")
        self.assertOk(status)
        self.assertEqual(body, wire_bytes(late))
        self.assertOk(c2.cmd("QUIT"))

    def test_file_removed_behind_server_gives_err_and_session_goes_on(self):
        c = self.connect(self.server)
        c.login("alice", "secret1")
        uids = self.uid_map(c)
        os.remove(self.md.find(uids[1]))
        self.assertErr(c.cmd("RETR 1"))
        self.assertOk(c.cmd("NOOP"))
        status, body = c.multi("RETR 2")
        self.assertOk(status)
        self.assertEqual(body, wire_bytes(self.msgs[uids[2]]))
        self.assertOk(c.cmd("DELE 3"))
        self.assertOk(c.cmd("QUIT"))
        self.assertIsNone(self.md.find(uids[3]))
        self.assertIsNotNone(self.md.find(uids[2]))

    def test_flags_changed_behind_server_still_serve_the_same_message(self):
        """Another program (an IMAP server, a MUA) renames a file to change its
        flags mid-session: RETR, TOP and DELE still reach that message, by its
        base name, and never another one."""
        c = self.connect(self.server)
        c.login("alice", "secret1")
        uids = self.uid_map(c)
        path = self.md.find(uids[2])
        os.rename(path, path.split(":", 1)[0] + ":2,RS")
        status, body = c.multi("RETR 2")
        self.assertOk(status)
        self.assertEqual(body, wire_bytes(self.msgs[uids[2]]))
        status, body = c.multi("TOP 2 0")
        self.assertOk(status)
        self.assertOk(c.cmd("DELE 2"))
        self.assertOk(c.cmd("QUIT"))
        self.assertIsNone(self.md.find(uids[2]))
        self.assertEqual(len(self.md.uids()), len(self.msgs) - 1)

    def test_pipelined_commands_answered_in_order(self):
        """RFC 2449 PIPELINING: a whole session in one write, replies in order."""
        c = self.connect(self.server)
        c.send(b"USER alice\r\nPASS secret1\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nQUIT\r\n")
        everything = c.read_until_eof()
        r = ReplyReader(everything)
        self.assertOk(r.readline().decode(), "USER")
        self.assertOk(r.readline().decode(), "PASS")
        stat = r.readline().decode()
        total = sum(len(wire_bytes(m)) for m in self.msgs.values())
        self.assertEqual(stat, f"+OK {len(self.msgs)} {total}\r\n")
        self.assertOk(r.readline().decode(), "LIST")
        listing = r.read_multiline().decode().splitlines()
        self.assertEqual(len(listing), len(self.msgs))
        self.assertOk(r.readline().decode(), "UIDL")
        uids = dict(l.split(" ") for l in r.read_multiline().decode().splitlines())
        self.assertEqual(set(uids.values()), set(self.msgs))
        self.assertOk(r.readline().decode(), "RETR")
        self.assertEqual(r.read_multiline(), wire_bytes(self.msgs[uids["1"]]))
        self.assertOk(r.readline().decode(), "QUIT")
        self.assertEqual(r.buf, b"", "bytes after the QUIT reply")

    def test_top_and_uidl_of_a_deleted_message_are_refused(self):
        c = self.connect(self.server)
        c.login("alice", "secret1")
        self.assertOk(c.cmd("DELE 1"))
        self.assertErr(c.cmd("TOP 1 0"), msg="TOP of a DELE-marked message")
        self.assertErr(c.cmd("UIDL 1"), msg="UIDL of a DELE-marked message")
        self.assertTrue(c.cmd("UIDL 2").startswith("+OK 2 "), "the others are still there")
        status, _ = c.multi("TOP 2 0")
        self.assertOk(status)
        self.assertOk(c.cmd("RSET"))
        self.assertTrue(c.cmd("UIDL 1").startswith("+OK 1 "), "RSET unmarks it")

    def test_listings_after_dele_leave_the_message_out_and_keep_numbers(self):
        c = self.connect(self.server)
        c.login("alice", "secret1")
        status, before_list = c.multi("LIST")
        self.assertOk(status)
        before_uids = self.uid_map(c)
        self.assertOk(c.cmd("DELE 1"))
        status, after_list = c.multi("LIST")
        self.assertOk(status)
        self.assertEqual(after_list.splitlines(), before_list.splitlines()[1:],
                         "LIST after DELE 1: message 1 left out, the others' numbers and sizes unchanged")
        after_uids = self.uid_map(c)
        self.assertEqual(after_uids, {n: u for n, u in before_uids.items() if n != 1},
                         "UIDL after DELE 1: message 1 left out, the others' numbers unchanged")
        self.assertOk(c.cmd("QUIT"))


class LastCommandTest(PoplarTestCase):
    """RFC 1225 LAST: on by default, gone (an unknown command) with last_command = false."""

    def setUp(self):
        super().setUp()
        md = self.maildir("alice")
        for i in range(3):
            md.deliver(b"Subject: m%d\n\nbody %d\n" % (i, i))

    def test_last_is_on_by_default(self):
        cfg = self.config()
        del cfg["last_command"]  # the server's own default, not the fixture's
        path = os.path.join(self.dir, "default.toml")
        with open(path, "w") as f:
            for key, value in cfg.items():
                f.write(f"{key} = {toml_value(value)}\n")
        c = self.connect(self.start_server(config_path=path))
        c.login("alice", "secret1")
        self.assertEqual(c.cmd("LAST"), "+OK 0")
        status, _ = c.multi("RETR 2")
        self.assertOk(status)
        self.assertEqual(c.cmd("LAST"), "+OK 2")

    def test_last_command_false_makes_last_unknown(self):
        c = self.connect(self.start_server(last_command=False))
        c.login("alice", "secret1")
        status, _ = c.multi("RETR 2")
        self.assertOk(status)
        reply = c.cmd("LAST")
        self.assertErr(reply)
        self.assertIn("Unknown command", reply)
        self.assertTrue(c.cmd("STAT").startswith("+OK 3 "), "the session goes on")
        self.assertOk(c.cmd("QUIT"))


class MaildirShapesTest(PoplarTestCase):
    """File names and contents that stress sizes, UIDLs and the body stream."""

    def setUp(self):
        super().setUp()
        self.md = self.maildir("alice")

    def put(self, sub: str, name: str, raw: bytes) -> str:
        with open(os.path.join(self.md.path, sub, name), "wb") as f:
            f.write(raw)
        return name.split(":", 1)[0]

    def session(self):
        server = self.start_server()
        c = self.connect(server)
        c.login("alice", "secret1")
        return c

    def fetch_all(self, c) -> dict[str, tuple[int, bytes]]:
        """uid -> (LIST octets, RETR body) for every message."""
        status, body = c.multi("UIDL")
        self.assertOk(status)
        out = {}
        for line in body.decode().splitlines():
            num, uid = line.split(" ")
            size = int(c.cmd(f"LIST {num}").split()[2])
            status, data = c.multi(f"RETR {num}")
            self.assertOk(status)
            out[uid] = (size, data)
        return out

    def test_dot_lines_at_every_chunk_boundary(self):
        """Lines starting with '.' at all offsets, so some straddle any read chunk size."""
        lines = [b"." * (1 + i % 7) + b"x" * (i % 251) for i in range(6000)]
        raw = b"Subject: dots everywhere\n\n" + b"\n".join(lines) + b"\n"
        uid = self.md.deliver(raw)
        crlf = b"Subject: crlf mix\r\n\r\n" + b"".join(
            b"%s\r\n" % (b"." * (i % 3) + b"y" * (i % 509)) if i % 5 else b"bare\rcr\n" for i in range(3000))
        uid2 = self.md.deliver(crlf, with_vsize=False)
        got = self.fetch_all(self.session())
        for u, r in ((uid, raw), (uid2, crlf)):
            self.assertEqual(got[u][0], len(wire_bytes(r)), "LIST octets")
            self.assertEqual(got[u][1], wire_bytes(r), "RETR bytes")

    def test_sizes_without_size_in_name_are_computed_and_cached(self):
        raw = b"Subject: no size\n\nplain name\n"
        uid = self.put("new", "1700000100.M1P1.plainhost", raw)
        uid2 = self.put("cur", "1700000101.M2P1.plainhost:2,S", b"Subject: seen\n\nflagged\n")
        c = self.session()
        got = self.fetch_all(c)
        self.assertEqual(set(got), {uid, uid2}, "UIDL is the base name, flags stripped")
        self.assertEqual(got[uid], (len(wire_bytes(raw)), wire_bytes(raw)))
        self.assertOk(c.cmd("QUIT"))
        self.assertTrue(os.path.exists(os.path.join(self.md.path, "poplar-sizes")))
        self.assertEqual(self.fetch_all(self.session())[uid][0], len(wire_bytes(raw)),
                         "size from the cache")

    def test_empty_message(self):
        uid = self.put("new", "1700000200.M1P1.empty,S=0", b"")
        got = self.fetch_all(self.session())
        self.assertEqual(got[uid], (0, b""))

    def test_uidl_always_valid_and_stable(self):
        """RFC 1939 7: 1..70 chars in 0x21..0x7E, unique, the same in every session."""
        long_name = "1700000300.M1P1." + "h" * 100
        odd_name = "1700000301.M2P1.h\u00f6st"  # non-ASCII host part
        self.put("new", long_name, b"Subject: long\n\nx\n")
        self.put("new", odd_name, b"Subject: odd\n\ny\n")
        plain = self.md.deliver(b"Subject: plain\n\nz\n")
        c = self.session()
        first = self.fetch_all(c)
        self.assertOk(c.cmd("QUIT"))
        self.assertEqual(len(first), 3)
        self.assertIn(plain, first)
        for uid in first:
            self.assertTrue(1 <= len(uid) <= 70, uid)
            self.assertTrue(all(0x21 <= ord(ch) <= 0x7E for ch in uid), uid)
        second = self.fetch_all(self.session())  # a new server process, too
        self.assertEqual(set(first), set(second))

    def test_uidl_order_follows_delivery_time(self):
        """Messages are numbered by the delivery timestamp in the file name,
        not by the order the files were written in."""
        late = self.md.deliver(b"Subject: late\n\nc\n", stamp=1700000900)
        early = self.md.deliver(b"Subject: early\n\na\n", stamp=1700000100)
        middle = self.md.deliver(b"Subject: middle\n\nb\n", stamp=1700000500)
        c = self.session()
        status, body = c.multi("UIDL")
        self.assertOk(status)
        self.assertEqual(body.decode().splitlines(), [f"1 {early}", f"2 {middle}", f"3 {late}"])
        status, body = c.multi("TOP 1 0")
        self.assertOk(status)
        self.assertEqual(body, b"Subject: early\r\n\r\n")



class FirstLoginTest(PoplarTestCase):

    def test_greeting_names_the_configured_host(self):
        server = self.start_server(hostname="pop.example")
        self.assertEqual(self.connect(server).greeting, b"+OK pop.example POP3 server ready\r\n")

    @unittest.skipUnless(os.geteuid() == 0, "needs root to give files away")
    def test_first_login_makes_a_maildir_owned_by_the_mail_user(self):
        """A Maildir made by a login (as root) belongs to the passwd-file's
        uid/gid, so the delivery agent can still write new/."""
        server = self.start_server()
        c = self.connect(server)
        c.login("bob", "secret2")  # bob has no Maildir yet
        self.assertEqual(c.cmd("STAT"), "+OK 0 0")
        self.assertOk(c.cmd("QUIT"))
        bob_uid = 1001  # poplar_fixture writes uid/gid 1000 + index
        for sub in ("", "cur", "new", "tmp"):
            st = os.stat(os.path.join(self.mail_root, "bob", sub))
            self.assertEqual((st.st_uid, st.st_gid), (bob_uid, bob_uid), sub or "the Maildir")
        self.assertEqual(os.stat(self.mail_root).st_uid, 0, "the mail root stays the server's")

    def test_mail_path_at_a_regular_file_is_sys_perm_and_login_can_be_retried(self):
        """A file where the Maildir should be: [SYS/PERM], still in AUTHORIZATION,
        and the server goes on serving others."""
        with open(os.path.join(self.mail_root, "alice"), "wb") as f:
            f.write(b"not a Maildir\n")
        self.maildir("bob").deliver(b"Subject: for bob\n\nhi\n")
        server = self.start_server()
        c = self.connect(server)
        self.assertOk(c.cmd("USER alice"))
        reply = c.cmd("PASS secret1")
        self.assertErr(reply, "SYS/PERM")
        self.assertErr(c.cmd("STAT"), msg="STAT after a refused login")
        server.log.wait_for(r"login failed user=alice .*reason=mailbox-unavailable")
        other = self.connect(server)
        other.login("bob", "secret2")
        self.assertTrue(other.cmd("STAT").startswith("+OK 1 "))
        self.assertOk(other.cmd("QUIT"))
        c.login("bob", "secret2")  # the same connection, still in AUTHORIZATION
        self.assertTrue(c.cmd("STAT").startswith("+OK 1 "))
        self.assertOk(c.cmd("QUIT"))
        with open(os.path.join(self.mail_root, "alice"), "rb") as f:
            self.assertEqual(f.read(), b"not a Maildir\n", "the file is left alone")


if __name__ == "__main__":
    unittest.main()
