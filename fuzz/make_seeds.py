#!/usr/bin/env python3
"""Writes the hand-made seed corpora in fuzz/corpus/<target>/ (run from anywhere).

The seeds are committed; this script says how they were made and makes new
ones. Crash reproducers found later are added to the corpus dirs by hand.
"""
import base64
import hashlib
import hmac
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def write(target: str, name: str, data: bytes) -> None:
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def session_input(flags0: int, flags1: int, flags2: int, extra: bytes, script: bytes) -> bytes:
    """fuzz_session's layout: 4 setting bytes, a length byte, that many octets of one more message, the client."""
    return bytes([flags0, flags1, flags2, 0, len(extra)]) + extra + script


def lines(*commands: bytes) -> bytes:
    return b"".join(c + b"\r\n" for c in commands)


def session_seeds() -> None:
    plain = 4 | 8 | 16 | 128  # plaintext allowed, APOP, LAST, room for bad commands
    every_mechanism = 0x3F
    utf8_message = "Subject: Caf\u00e9 \u20ac\r\nFrom: \u00c9lise <e@example.org>\r\n\r\nhi\r\n".encode()
    write("session", "transaction", session_input(plain, every_mechanism, 0, b"", lines(
        b"CAPA", b"USER alice", b"PASS secret", b"STAT", b"LIST", b"UIDL", b"LIST 3", b"UIDL 2", b"RETR 1",
        b"RETR 3", b"TOP 2 1", b"TOP 1 0", b"DELE 1", b"RETR 1", b"LIST 1", b"STAT", b"RSET", b"LAST", b"NOOP",
        b"DELE 2", b"LIST", b"QUIT")))
    write("session", "utf8", session_input(plain, every_mechanism, 0, utf8_message, lines(
        b"UTF8", b"USER alice", b"PASS secret", b"LIST", b"RETR 3", b"RETR 6", b"RETR 7", b"RETR 8", b"RETR 9",
        b"TOP 9 0", b"QUIT")))
    write("session", "downgrade", session_input(plain, every_mechanism | 0x80, 0, utf8_message, lines(
        b"USER alice", b"PASS secret", b"LIST", b"RETR 3", b"RETR 6", b"RETR 7", b"RETR 8", b"RETR 9", b"TOP 3 1",
        b"QUIT")))
    write("session", "apop", session_input(plain, 0, 0, b"", lines(b"APOP alice " + b"a" * 32, b"STAT", b"QUIT")))
    write("session", "auth-plain", session_input(plain, every_mechanism, 0, b"", lines(
        b"AUTH", b"AUTH PLAIN " + b64(b"\0alice\0secret"), b"LIST", b"QUIT")))
    write("session", "auth-plain-continued", session_input(plain, every_mechanism, 0, b"", lines(
        b"AUTH PLAIN", b64(b"alice\0alice\0secret"), b"STAT", b"QUIT")))
    write("session", "auth-login", session_input(plain, every_mechanism, 0, b"", lines(
        b"AUTH LOGIN", b64(b"alice"), b64(b"secret"), b"UIDL", b"QUIT")))
    write("session", "auth-cram-md5", session_input(plain, every_mechanism, 0, b"", lines(
        b"AUTH CRAM-MD5", b64(b"alice " + b"a" * 32), b"STAT", b"QUIT")))
    write("session", "auth-scram", session_input(plain, every_mechanism, 0, b"", lines(
        b"AUTH SCRAM-SHA-256 " + b64(b"n,,n=alice,r=rOprNGfwEbeRWgbNEkqO"),
        b64(b"c=biws,r=rOprNGfwEbeRWgbNEkqO,p=" + b64(bytes(32))), b"AUTH SCRAM-SHA-1", b64(b"n,,n=bob,r=abc"), b"*")))
    write("session", "auth-scram-plus", session_input(1 | 16 | 128, every_mechanism, 0, b"", lines(
        b"CAPA", b"AUTH SCRAM-SHA-256-PLUS " + b64(b"p=tls-exporter,,n=alice,r=abcdef"),
        b64(b"c=" + b64(b"p=tls-exporter,," + b"\x42" * 32) + b",r=abcdef,p=" + b64(bytes(32))))))
    write("session", "stls", session_input(2 | 16, every_mechanism, 0, b"", lines(
        b"CAPA", b"USER alice", b"AUTH PLAIN", b"STLS", b"CAPA", b"USER alice", b"PASS secret", b"QUIT")))
    write("session", "bad-commands", session_input(plain, every_mechanism | 0x40, 0, b"", lines(
        b"FOO", b"USER", b"PASS", b"LIST 1", b"USER alice", b"PASS secret", b"LIST 4294967297", b"LIST  1",
        b"RETR 0", b"RETR 99", b"TOP 1 x", b"DELE 1", b"DELE 1", b"RETR 1", b"UTF8", b"STLS", b"X" * 100)))
    write("session", "faults", session_input(plain, every_mechanism, 1 | 4, b"", lines(
        b"USER alice", b"PASS secret", b"RETR 2", b"TOP 2 1", b"DELE 1", b"QUIT")))
    write("session", "unreadable", session_input(plain, every_mechanism, 2, b"", lines(
        b"USER alice", b"PASS secret", b"RETR 3", b"RETR 4", b"QUIT")))
    write("session", "gone", session_input(plain, every_mechanism, 3 | 8, b"", lines(
        b"USER alice", b"PASS secret", b"RETR 4", b"DELE 2", b"QUIT")))
    write("session", "expire", session_input(plain | 32 | 64, every_mechanism, 0x10 | 0x40, b"", lines(
        b"CAPA", b"USER alice", b"PASS secret", b"CAPA", b"RETR 1", b"RETR 2", b"QUIT")))
    write("session", "lang-users", session_input(plain, every_mechanism, 0, b"", lines(
        b"LANG", b"LANG en-GB", b"LANG fr", b"LANG *", b"USER busy", b"PASS x", b"USER tempfail", b"PASS x",
        b"USER permfail", b"PASS x", b"USER delayed", b"PASS x", b"USER alice", b"PASS wrong", b"QUIT")))
    write("session", "lf-only", session_input(plain, every_mechanism, 0, b"", b"user alice\npass secret\nlist\nretr 2\nquit\n"))


def line_framer_seeds() -> None:
    # Layout: a cap selector byte, four seed bytes for the chunking, the stream.
    for i, stream in enumerate([b"USER alice\r\nPASS secret\r\n", b"A" * 300 + b"\r\nNOOP\n\r\n\n",
                                b"abc\rdef\r\r\n" + b"x" * 40 + b"\n", b"partial line without end"]):
        write("line_framer", f"seed{i}", bytes([i * 2, 7, 1, 2, 3]) + stream)


def sasl_seeds() -> None:
    # FuzzedDataProvider takes the mechanism (last byte) and flags (the byte
    # before) from the end, client messages from the front.
    plain, login, cram, sha1, sha256, plus = range(6)
    honest, fixed, initial, tls = 16, 32, 1, 2
    write("sasl", "plain", b"\0alice\0secret" + bytes([initial, plain]))
    write("sasl", "plain-authzid", b"bob\0alice\0secret" + bytes([initial, plain]))
    write("sasl", "login", b"alice\\\nsecret" + bytes([0, login]))
    write("sasl", "cram-md5", b"alice " + b"0" * 32 + bytes([0, cram]))
    write("sasl", "scram-sha-1", b"n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL\\\nc=biws,r=x,p=AAAA" + bytes([initial, sha1]))
    write("sasl", "scram-sha-256-y", b"y,a=alice,n=alice,r=abc,x=ext" + bytes([initial | tls, sha256]))
    write("sasl", "scram-plus", b"p=tls-exporter,,n=alice,r=abc" + bytes([initial | tls, plus]))
    write("sasl", "honest-sha1", b"nonce" + bytes([honest | fixed, sha1]))
    write("sasl", "honest-sha256", b"nonce" + bytes([honest, sha256]))
    write("sasl", "honest-plus", b"nonce" + bytes([honest | tls, plus]))
    write("sasl", "temporary", b"n,,n=alice,r=abc" + bytes([initial | 8, sha256]))


def simple_seeds() -> None:
    for i, text in enumerate([b"", b"f", b"fo", b"foo", b"Zm9vYmFy", b"AGFsaWNlAHNlY3JldA==", b"Zg=="]):
        write("base64", f"seed{i}", text)
    for i, text in enumerate([b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
                              b"p=tls-exporter,a=us=2Cer,n=us=3Der,r=abc,ext=1",
                              b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
                              b"c=cD10bHMtZXhwb3J0ZXIsLA==,r=abc,x=1,p=AAAA", b"m=ext,n=u,r=a", b"us=2Cer"]):
        write("scram_message", f"seed{i}", text)
    write("passwd", "dovecot", b"""# users
alice:{PLAIN}secret:1000:1000::/home/alice::userdb_mail=maildir:~/Maildir nodelay
bob:$6$saltsalt$hashhashhash:1001:1001:Bob:/home/bob:/bin/sh:pop3_expire_days=30
carol:{SCRAM-SHA-256}4096,c2FsdHNhbHRzYWx0c2FsdA==,""" + b64(bytes(32)) + b"," + b64(bytes(32)) + b"""
dave:{SCRAM-SHA-1}4096,c2FsdA==,""" + b64(bytes(20)) + b"," + b64(bytes(20)) + b"""
erin:{CLEARTEXT}pw\r
alice:{PLAIN}again
bad user:{PLAIN}x
../x:{PLAIN}x
frank:{nope
gina:{PLAIN}x:notanumber
""")
    write("passwd", "scram-secret", b"4096,c2FsdHNhbHRzYWx0c2FsdA==," + b64(bytes(32)) + b"," + b64(bytes(32)))
    for i, name in enumerate([b"1700000000.M123456P789Q1.host,S=1234,W=1260:2,RS",
                              b"1700000000.M5P1.host:2,/1699999999.V801I2M7.mx,S=5",
                              b"garbage-name/1700000000.host", b"1700000000.P1Q2.host,W=18446744073709551616:2,",
                              b"1.2.3:1,info/1.2.3:2,S"]):
        write("maildir_name", f"seed{i}", name)
    write("size_cache", "seed0", b"1700000000.M1P2.host 1234 1300\n1700000000.M2P2.host 99\nbad line\n"
                                 b"1700000000.M1P2.host 5 5\nx -1 2\ncut 12")
    write("size_cache", "seed1", b"a 18446744073709551615 0\nb 18446744073709551616 1\nc +1 2\n\n")
    write("record_file", "seed0", b"1700000000.M1P2.host 1700000100\nlast-login 1700000000\nx  1\nk 1 2\ncut 12")
    write("record_file", "seed1", b"a 18446744073709551615\nb 18446744073709551616\n\tk 1\n")
    for i, message in enumerate([
            "From: J\u00f6rg <j\u00f6rg@b\u00fccher.example>, plain@example.org\r\n"
            "To: group: \u00e9@x.example, a@b;\r\nSubject: Gr\u00fc\u00dfe aus\r\n K\u00f6ln\r\n"
            "Content-Type: text/plain; charset=utf-8; name=\"\u00e9t\u00e9.txt\"\r\n"
            "Message-ID: <\u00e9@example>\r\n\r\nbody \u00e9\r\n.dot\r\n".encode(),
            "Subject: lf only \u20ac\n\nbody\n".encode(),
            b"\xc3\xa9: not a field\r\nX-Bad: \xff\xfe\xc3\r\n\r\n",
            "Reply-To: \"Caf\u00e9\" (comment \u00e9) <a@b>\r\nCc: \u00e9\u00e9 <x@y>\r\nno end".encode(),
    ]):
        write("header_downgrade", f"seed{i}", bytes([i * 5]) + message)
    write("config", "example", b"""listen = ["127.0.0.1:1110", "[::1]:1110"]
listen_tls = ["127.0.0.1:1995"]
hostname = "mail.example.org"
passwd_file = "/etc/poplar/users"
mail_path = "/var/mail/poplar/%d/%n"
apop = true
auth_mechanisms = ["SCRAM-SHA-256", "PLAIN"]
expire = "30"
login_delay = 60
idle_timeout = 600
max_line_length = 4096
workers = 2
""")
    write("config", "overrides", b'workers = 1\n\0max_connections=10\nidle_timeout=10m\nexpire=never\nnoequals\nbogus=1\n')
    write("config", "bad", b'workers = -1\nlisten = "x"\n[table]\nkey = 1\n')


if __name__ == "__main__":
    session_seeds()
    line_framer_seeds()
    sasl_seeds()
    simple_seeds()
