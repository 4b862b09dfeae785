"""SASL AUTH (RFC 5034) through the wire: PLAIN, LOGIN and CRAM-MD5 by hand
and from curl, mpop and fetchmail; SCRAM-SHA-1/256 (RFC 5802, 7677) with a
client written here and with GNU gsasl, against {PLAIN} and stored Dovecot
{SCRAM-*} secrets; SCRAM-SHA-256-PLUS with tls-server-end-point channel
binding (RFC 5929) over implicit TLS; failures, their delay, log and limit."""

import base64
import hashlib
import hmac
import os
import queue
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import unittest

from poplar_fixture import (PoplarTestCase, PopClient, ReplyReader, TestCA, TIMEOUT, sha512_crypt,
                            wire_bytes)

CLIENT_TIMEOUT = 3 * TIMEOUT

AUTH_FAILED = "-ERR [AUTH] Authentication failed: wrong user name or password."
DEFAULT_MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN"]  # without TLS: no -PLUS


def b64(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def as_lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


# --- SCRAM (RFC 5802), written from the RFC, no library ------------------------

HASHES = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256", "SCRAM-SHA-256-PLUS": "sha256"}


def scram_keys(hash_name: str, password: str, salt: bytes, iterations: int) -> tuple[bytes, bytes, bytes]:
    """(ClientKey, StoredKey, ServerKey) of RFC 5802 section 3."""
    salted = hashlib.pbkdf2_hmac(hash_name, password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hash_name).digest()
    server_key = hmac.new(salted, b"Server Key", hash_name).digest()
    return client_key, hashlib.new(hash_name, client_key).digest(), server_key


def dovecot_scram_entry(mechanism: str, password: str, salt: bytes, iterations: int = 4096) -> str:
    """`{SCRAM-SHA-256}iter,b64(salt),b64(StoredKey),b64(ServerKey)`, as doveadm pw makes it."""
    _, stored, server = scram_keys(HASHES[mechanism], password, salt, iterations)
    return f"{{{mechanism}}}{iterations},{b64(salt)},{b64(stored)},{b64(server)}"


def saslname(name: str) -> str:
    return name.replace("=", "=3D").replace(",", "=2C")


class ScramClient:
    """One client side of a SCRAM exchange. gs2 is the GS2 header ("n,,",
    "y,,", "p=tls-server-end-point,,", "n,a=alice,"); cb_data the channel
    binding bytes that go into c= after it (only with p=)."""

    def __init__(self, mechanism: str, user: str, password: str, gs2: str = "n,,", cb_data: bytes = b""):
        self.hash = HASHES[mechanism]
        self.user, self.password, self.gs2, self.cb_data = user, password, gs2, cb_data
        self.nonce = b64(os.urandom(18))
        self.bare = f"n={saslname(user)},r={self.nonce}"
        self.server_first = None
        self.attrs: dict[str, str] = {}
        self.expected_v = None

    def first(self) -> str:
        return self.gs2 + self.bare

    def final(self, server_first: str, nonce: str | None = None) -> str:
        """client-final for this server-first; `nonce` overrides the combined nonce (to test mismatch)."""
        self.server_first = server_first
        self.attrs = dict(part.split("=", 1) for part in server_first.split(","))
        combined = self.attrs["r"]
        assert combined.startswith(self.nonce) and len(combined) > len(self.nonce), server_first
        salt, iterations = unb64(self.attrs["s"]), int(self.attrs["i"])
        client_key, stored_key, server_key = scram_keys(self.hash, self.password, salt, iterations)
        without_proof = f"c={b64(self.gs2.encode() + self.cb_data)},r={nonce or combined}"
        auth_message = f"{self.bare},{server_first},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, self.hash).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self.expected_v = "v=" + b64(hmac.new(server_key, auth_message, self.hash).digest())
        return f"{without_proof},p={b64(proof)}"


class ScramResult:
    def __init__(self):
        self.replies: list[str] = []   # every line the server sent, in order
        self.client: ScramClient | None = None
        self.server_final: str | None = None

    @property
    def last(self) -> str:
        return self.replies[-1]


def scram_login(c: PopClient, mechanism: str, user: str, password: str, *, gs2: str = "n,,",
                cb_data: bytes = b"", initial: bool = True, nonce: str | None = None,
                final_ack: str = "") -> ScramResult:
    """Runs AUTH <mechanism> to its end and returns every server line. The
    server's v= is checked against the signature this client computed."""
    result = ScramResult()
    client = result.client = ScramClient(mechanism, user, password, gs2, cb_data)
    if initial:
        r = c.cmd(f"AUTH {mechanism} {b64(client.first())}")
    else:
        r = c.cmd(f"AUTH {mechanism}")
        result.replies.append(r)
        if r != "+ ":
            return result
        r = c.cmd(b64(client.first()))
    result.replies.append(r)
    if not r.startswith("+ "):
        return result
    r = c.cmd(b64(client.final(unb64(r[2:]).decode(), nonce)))
    result.replies.append(r)
    if not r.startswith("+ "):
        return result
    result.server_final = unb64(r[2:]).decode()
    if result.server_final != client.expected_v:
        raise AssertionError(f"server signature {result.server_final!r}, expected {client.expected_v!r}")
    result.replies.append(c.cmd(final_ack))
    return result


# --- TLS -----------------------------------------------------------------------

class TlsPopClient(PopClient):
    """A raw POP3 client over implicit TLS that trusts only the test CA."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = TIMEOUT):
        ReplyReader.__init__(self)
        context = ssl.create_default_context(cafile=TestCA.get().ca_cert)
        raw = socket.create_connection((host, port), timeout=timeout)
        try:
            self.sock = context.wrap_socket(raw, server_hostname="localhost")
            self.greeting = self.readline()
        except (OSError, ssl.SSLError):
            raw.close()
            raise

    def tls_server_end_point(self) -> bytes:
        """RFC 5929 section 4.1: the hash of the server certificate with the hash
        of its signature algorithm (SHA-256 for the test CA's sha256WithRSA)."""
        return hashlib.sha256(self.sock.getpeercert(binary_form=True)).digest()


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback, or None. A UDP
    connect sends nothing; it only asks the kernel which source it would use."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))
        address = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if address.startswith("127.") or address == "0.0.0.0" else address


class SaslCase(PoplarTestCase):
    """Users: alice {PLAIN}secret1, bob {PLAIN}secret2, carol a stored
    {SCRAM-SHA-256} entry (secret3, 5000 iterations), dave {SCRAM-SHA-1}
    (secret4), erin {SHA512-CRYPT} (secret5)."""

    CAROL_SALT = b"carol's salt, 16"
    DAVE_SALT = b"dave-salt"

    def setUp(self):
        super().setUp()
        self.users["carol"] = dovecot_scram_entry("SCRAM-SHA-256", "secret3", self.CAROL_SALT, 5000)
        self.users["dave"] = dovecot_scram_entry("SCRAM-SHA-1", "secret4", self.DAVE_SALT)
        self.users["erin"] = sha512_crypt("secret5")
        self.write_passwd()
        self.md, self.msgs = self.sample_mailbox("alice")
        for user in ("carol", "dave", "erin"):
            self.maildir(user).deliver(f"Subject: for {user}\n\nhello {user}\n".encode())

    def assertLoggedIn(self, reply: str, messages: int | None = None):
        self.assertTrue(reply.startswith("+OK Logged in"), f"expected a login, got {reply!r}")
        if messages is not None:
            self.assertIn(f"maildrop has {messages} message", reply)


# --- PLAIN, LOGIN and the AUTH command's framing ----------------------------------

class AuthCommandTest(SaslCase):

    def setUp(self):
        super().setUp()
        self.server = self.start_server()

    def test_bare_auth_lists_mechanisms_like_capa(self):
        c = self.connect(self.server)
        status, body = c.multi("AUTH")
        self.assertEqual(status, "+OK Methods supported:")
        self.assertEqual(body.decode().split("\r\n")[:-1], DEFAULT_MECHANISMS)
        status, capa = c.multi("CAPA")
        self.assertIn(("SASL " + " ".join(DEFAULT_MECHANISMS)).encode() + b"\r\n", capa)

    def test_plain_with_initial_response(self):
        c = self.connect(self.server)
        self.assertLoggedIn(c.cmd("AUTH PLAIN " + b64("\0alice\0secret1")), len(self.msgs))
        status, body = c.multi("RETR 1")
        self.assertOk(status)
        self.assertIn(wire_bytes(body), {wire_bytes(m) for m in self.msgs.values()})
        self.assertOk(c.cmd("QUIT"))
        self.server.log.wait_for(r"session end user=alice ip=127\.0\.0\.1 retrieved=1 ")

    def test_plain_without_initial_response_gets_an_empty_challenge(self):
        c = self.connect(self.server)
        self.assertEqual(c.cmd("AUTH PLAIN"), "+ ")  # RFC 5034 section 4: "+" and one space, nothing more
        self.assertLoggedIn(c.cmd(b64("\0alice\0secret1")))

    def test_mechanism_name_is_case_insensitive(self):
        c = self.connect(self.server)
        self.assertLoggedIn(c.cmd("auth plain " + b64("\0bob\0secret2")))

    def test_plain_authzid_equal_to_user_is_accepted(self):
        c = self.connect(self.server)
        self.assertLoggedIn(c.cmd("AUTH PLAIN " + b64("alice\0alice\0secret1")))

    def test_plain_other_authzid_is_refused(self):
        """No proxy logins: alice's right password does not open bob's mailbox."""
        c = self.connect(self.server)
        self.assertEqual(c.cmd("AUTH PLAIN " + b64("bob\0alice\0secret1")), AUTH_FAILED)
        self.assertEqual(self.maildir("bob").uids(), set())
        self.assertErr(c.cmd("STAT"))  # still not logged in
        self.assertLoggedIn(c.cmd("AUTH PLAIN " + b64("\0alice\0secret1")))

    def test_plain_wrong_password_and_hashed_user(self):
        c = self.connect(self.server)
        self.assertEqual(c.cmd("AUTH PLAIN " + b64("\0alice\0secret2")), AUTH_FAILED)
        self.assertLoggedIn(c.cmd("AUTH PLAIN " + b64("\0erin\0secret5")), 1)

    def test_plain_stored_scram_user(self):
        """PLAIN against a {SCRAM-SHA-256} entry: PBKDF2 of the password with the stored salt."""
        c = self.connect(self.server)
        self.assertLoggedIn(c.cmd("AUTH PLAIN " + b64("\0carol\0secret3")), 1)

    def test_login_mechanism(self):
        c = self.connect(self.server)
        r = c.cmd("AUTH LOGIN")
        self.assertTrue(r.startswith("+ "), r)
        unb64(r[2:])  # a valid (perhaps empty) base64 prompt
        r = c.cmd(b64("alice"))
        self.assertTrue(r.startswith("+ "), r)
        self.assertLoggedIn(c.cmd(b64("secret1")))

    def test_login_with_initial_response(self):
        c = self.connect(self.server)
        r = c.cmd("AUTH LOGIN " + b64("alice"))
        self.assertTrue(r.startswith("+ "), r)
        self.assertLoggedIn(c.cmd(b64("secret1")))

    def test_login_wrong_password(self):
        c = self.connect(self.server)
        c.cmd("AUTH LOGIN " + b64("alice"))
        self.assertEqual(c.cmd(b64("nope")), AUTH_FAILED)

    def test_cancel_with_star(self):
        c = self.connect(self.server)
        self.assertEqual(c.cmd("AUTH PLAIN"), "+ ")
        self.assertEqual(c.cmd("*"), "-ERR Authentication cancelled.")
        # The exchange is over: the next line is a command again.
        self.assertOk(c.cmd("CAPA"))
        c.read_multiline()
        self.assertTrue(c.cmd("AUTH LOGIN " + b64("alice")).startswith("+ "))
        self.assertEqual(c.cmd("*"), "-ERR Authentication cancelled.")
        c.login("alice", "secret1")

    def test_cancel_in_the_middle_of_scram(self):
        c = self.connect(self.server)
        client = ScramClient("SCRAM-SHA-256", "alice", "secret1")
        self.assertTrue(c.cmd(f"AUTH SCRAM-SHA-256 {b64(client.first())}").startswith("+ "))
        self.assertEqual(c.cmd("*"), "-ERR Authentication cancelled.")
        self.assertLoggedIn(c.cmd("AUTH PLAIN " + b64("\0alice\0secret1")))

    def test_bad_base64_is_refused(self):
        c = self.connect(self.server)
        self.assertErr(c.cmd("AUTH PLAIN not*base64"))
        # RFC 5034 section 4: a pad character other than at the end is refused.
        self.assertErr(c.cmd("AUTH PLAIN AGFsaWNl=AHNlY3JldDE="))
        self.assertErr(c.cmd("AUTH PLAIN AGFsaWNlAHNlY3JldDE"))  # unpadded: 4n characters are required
        self.server.log.wait_for(r"session end user=- .*reason=too-many-bad-commands")
        self.assertTrue(c.at_eof(), "two bad base64 lines + 1 = max_bad_commands_before_login")

    def test_bad_base64_response_counts_as_a_bad_command(self):
        c = self.connect(self.server)
        self.assertEqual(c.cmd("AUTH PLAIN"), "+ ")
        self.assertErr(c.cmd("%%%"))
        self.assertErr(c.cmd("NOSUCHCOMMAND"))  # the exchange ended: this is a command again
        last = c.cmd("AUTH PLAIN @@@")  # the third bad command before login ends the session
        self.assertErr(last)
        self.assertIn("closing connection", last)
        self.assertTrue(c.at_eof())

    def test_response_with_characters_outside_base64_is_refused(self):
        """RFC 5034 section 4: reject, not ignore, any character outside the
        alphabet (a space, URL-safe '-', a tab) or a pad before the end."""
        for bad in ("AGFsaWNl AHNlY3JldDE=", "AGFs-aWNlAHNlY3JldDE=", "AGFsaWNlAHNlY3JldDE=\t",
                    "=AGFsaWNlAHNlY3JldDE", "AGFsaWNl=AHNlY3JldDE="):
            c = PopClient(self.server.port)
            try:
                self.assertEqual(c.cmd("AUTH PLAIN"), "+ ")
                self.assertErr(c.cmd(bad), None, repr(bad))
                self.assertErr(c.cmd("STAT"), None, f"{bad!r} logged in")
            finally:
                c.close()

    def test_unknown_and_unoffered_mechanisms(self):
        c = self.connect(self.server)
        self.assertErr(c.cmd("AUTH X-NOSUCH"))
        c2 = self.connect(self.server)
        self.assertErr(c2.cmd("AUTH CRAM-MD5"))  # known to poplar, not in auth_mechanisms
        c3 = self.connect(self.server)
        client = ScramClient("SCRAM-SHA-256-PLUS", "alice", "secret1", "p=tls-server-end-point,,")
        self.assertErr(c3.cmd(f"AUTH SCRAM-SHA-256-PLUS {b64(client.first())}"))  # no TLS: not offered
        # Each refusal leaves the session usable.
        for conn in (c, c2, c3):
            self.assertLoggedIn(conn.cmd("AUTH PLAIN " + b64("\0alice\0secret1")))
            self.assertOk(conn.cmd("QUIT"))

    def test_empty_initial_response(self):
        """'=' is a present but empty initial response (RFC 5034 section 4): for
        PLAIN that is a malformed message, refused, and the session goes on."""
        c = self.connect(self.server)
        r = c.cmd("AUTH PLAIN =")
        self.assertErr(r)
        self.assertFalse(r.startswith("+"), r)
        self.assertLoggedIn(c.cmd("AUTH PLAIN " + b64("\0alice\0secret1")))

    def test_auth_after_login_is_refused(self):
        c = self.connect(self.server)
        self.assertLoggedIn(c.cmd("AUTH PLAIN " + b64("\0alice\0secret1")))
        self.assertErr(c.cmd("AUTH PLAIN " + b64("\0bob\0secret2")))
        self.assertErr(c.cmd("AUTH"))
        self.assertOk(c.cmd("STAT"))


# --- SCRAM with the client above ---------------------------------------------------

class ScramTest(SaslCase):

    def setUp(self):
        super().setUp()
        self.server = self.start_server()

    def test_sha256_plain_user(self):
        c = self.connect(self.server)
        r = scram_login(c, "SCRAM-SHA-256", "alice", "secret1")
        self.assertLoggedIn(r.last, len(self.msgs))
        self.assertEqual(r.client.attrs["i"], "4096")
        self.assertOk(c.cmd("QUIT"))
        self.server.log.wait_for(r"session end user=alice ")

    def test_sha1_plain_user(self):
        c = self.connect(self.server)
        self.assertLoggedIn(scram_login(c, "SCRAM-SHA-1", "alice", "secret1").last)

    def test_without_initial_response(self):
        c = self.connect(self.server)
        r = scram_login(c, "SCRAM-SHA-256", "bob", "secret2", initial=False)
        self.assertEqual(r.replies[0], "+ ")
        self.assertLoggedIn(r.last, 0)

    def test_sha256_stored_entry(self):
        """A Dovecot {SCRAM-SHA-256} entry: the salt and count offered are the stored ones."""
        c = self.connect(self.server)
        r = scram_login(c, "SCRAM-SHA-256", "carol", "secret3")
        self.assertLoggedIn(r.last, 1)
        self.assertEqual(unb64(r.client.attrs["s"]), self.CAROL_SALT)
        self.assertEqual(r.client.attrs["i"], "5000")

    def test_sha1_stored_entry(self):
        c = self.connect(self.server)
        r = scram_login(c, "SCRAM-SHA-1", "dave", "secret4")
        self.assertLoggedIn(r.last, 1)
        self.assertEqual(unb64(r.client.attrs["s"]), self.DAVE_SALT)

    def test_sha1_entry_cannot_do_sha256(self):
        """A SCRAM-SHA-1 entry has no SHA-256 keys: the exchange runs to the proof and fails."""
        c = self.connect(self.server)
        r = scram_login(c, "SCRAM-SHA-256", "dave", "secret4")
        self.assertEqual(len(r.replies), 2, r.replies)
        self.assertEqual(r.last, AUTH_FAILED)

    def test_crypt_user_cannot_do_scram(self):
        c = self.connect(self.server)
        r = scram_login(c, "SCRAM-SHA-256", "erin", "secret5")
        self.assertEqual(r.last, AUTH_FAILED)

    def test_wrong_password_fails_at_the_proof_after_the_delay(self):
        server = self.start_server(auth_failure_delay="300ms")
        for user in ("alice", "carol"):
            c = PopClient(server.port)
            self.addCleanup(c.close)
            client = ScramClient("SCRAM-SHA-256", user, "wrong-password")
            server_first = unb64(c.cmd(f"AUTH SCRAM-SHA-256 {b64(client.first())}")[2:]).decode()
            start = time.monotonic()
            reply = c.cmd(b64(client.final(server_first)))
            elapsed = time.monotonic() - start
            self.assertEqual(reply, AUTH_FAILED, user)
            self.assertGreaterEqual(elapsed, 0.3, user)
            server.log.wait_for(rf"login failed user={user} ip=127\.0\.0\.1 reason=bad-credentials")

    def test_unknown_user_looks_like_a_known_one(self):
        """No enumeration: an unknown user gets a server-first of the same shape
        (nonce, a salt as long as a real one, 4096 iterations), stable across
        attempts like a stored salt, and the same failure as a wrong password."""
        shapes, salts, finals = {}, {}, {}
        for user in ("alice", "nosuchuser", "nosuchuser", "otherunknown"):
            c = self.connect(self.server)
            r = scram_login(c, "SCRAM-SHA-256", user, "wrong-password")
            attrs = r.client.attrs
            self.assertEqual(list(attrs), ["r", "s", "i"], r.client.server_first)
            shapes.setdefault(user, set()).add((len(attrs["r"]) - len(r.client.nonce), len(unb64(attrs["s"])),
                                                attrs["i"]))
            salts.setdefault(user, set()).add(attrs["s"])
            finals[user] = r.last
        self.assertEqual(shapes["alice"], shapes["nosuchuser"])
        self.assertEqual(shapes["alice"], shapes["otherunknown"])
        self.assertEqual(len(salts["nosuchuser"]), 1, "an unknown user's salt changes between attempts")
        self.assertNotEqual(salts["nosuchuser"], salts["otherunknown"])
        self.assertEqual(set(finals.values()), {AUTH_FAILED})

    def test_nonce_mismatch_fails(self):
        c = self.connect(self.server)
        client = ScramClient("SCRAM-SHA-256", "alice", "secret1")
        server_first = unb64(c.cmd(f"AUTH SCRAM-SHA-256 {b64(client.first())}")[2:]).decode()
        combined = dict(p.split("=", 1) for p in server_first.split(","))["r"]
        forged = combined[:-1] + ("A" if combined[-1] != "A" else "B")
        self.assertEqual(c.cmd(b64(client.final(server_first, nonce=forged))), AUTH_FAILED)

    def test_nonempty_answer_to_the_server_signature_fails(self):
        c = self.connect(self.server)
        r = scram_login(c, "SCRAM-SHA-256", "alice", "secret1", final_ack=b64("extra"))
        self.assertIsNotNone(r.server_final)
        self.assertErr(r.last)
        self.assertErr(c.cmd("STAT"), None, "a non-empty final answer must not log in")

    def test_authzid(self):
        c = self.connect(self.server)
        self.assertLoggedIn(scram_login(c, "SCRAM-SHA-256", "alice", "secret1", gs2="n,a=alice,").last)
        c = self.connect(self.server)
        self.assertEqual(scram_login(c, "SCRAM-SHA-256", "alice", "secret1", gs2="n,a=bob,").last, AUTH_FAILED)

    def test_y_flag_without_tls_is_fine(self):
        """'y': the client could bind but thinks the server cannot. Without TLS
        the server offers no -PLUS, so that is true and the login proceeds."""
        c = self.connect(self.server)
        self.assertLoggedIn(scram_login(c, "SCRAM-SHA-256", "alice", "secret1", gs2="y,,").last)

    def test_p_flag_without_plus_is_refused(self):
        c = self.connect(self.server)
        r = scram_login(c, "SCRAM-SHA-256", "alice", "secret1", gs2="p=tls-server-end-point,,")
        self.assertErr(r.last)
        self.assertEqual(len(r.replies), 1, r.replies)

    def test_unknown_mandatory_extension_fails(self):
        """RFC 5802 section 5.1: m= is reserved for mandatory extensions; a
        server that does not know it must fail the exchange."""
        c = self.connect(self.server)
        nonce = b64(os.urandom(18))
        r = c.cmd("AUTH SCRAM-SHA-256 " + b64(f"n,,m=future-ext,n=alice,r={nonce}"))
        self.assertErr(r)
        self.assertLoggedIn(c.cmd("AUTH PLAIN " + b64("\0alice\0secret1")))

    def test_bad_saslname_escape_fails(self):
        """RFC 5802 section 5.1: '=' not followed by 2C or 3D in a name must fail."""
        c = self.connect(self.server)
        nonce = b64(os.urandom(18))
        self.assertErr(c.cmd("AUTH SCRAM-SHA-256 " + b64(f"n,,n=ali=2Xce,r={nonce}")))
        self.assertErr(c.cmd("AUTH SCRAM-SHA-256 " + b64(f"n,,n=alice=,r={nonce}")))

    def test_user_name_with_comma_and_equals_is_escaped(self):
        """saslname escaping (=2C, =3D) reaches the passdb as the real name."""
        self.users["we,ird=name"] = "{PLAIN}secret9"
        self.write_passwd()
        c = self.connect(self.server)
        self.assertLoggedIn(scram_login(c, "SCRAM-SHA-256", "we,ird=name", "secret9").last, 0)


class ScramPlusTest(SaslCase):
    """SCRAM-SHA-256-PLUS over implicit TLS, bound with tls-server-end-point."""

    GS2 = "p=tls-server-end-point,,"

    def setUp(self):
        super().setUp()
        self.server = self.start_tls_server()

    def tls(self) -> TlsPopClient:
        c = TlsPopClient(self.server.tls_port)
        self.addCleanup(c.close)
        self.assertTrue(c.greeting.startswith(b"+OK"), c.greeting)
        return c

    def test_plus_is_offered_over_tls_only(self):
        c = self.tls()
        status, body = c.multi("AUTH")
        self.assertEqual(body.decode().split("\r\n")[:-1], ["SCRAM-SHA-256-PLUS"] + DEFAULT_MECHANISMS)
        plain = self.connect(self.server)
        status, body = plain.multi("AUTH")
        self.assertNotIn(b"PLUS", body)

    def test_plus_with_tls_server_end_point(self):
        c = self.tls()
        r = scram_login(c, "SCRAM-SHA-256-PLUS", "alice", "secret1", gs2=self.GS2,
                        cb_data=c.tls_server_end_point())
        self.assertLoggedIn(r.last, len(self.msgs))
        self.assertOk(c.cmd("QUIT"))

    def test_plus_with_stored_entry(self):
        c = self.tls()
        r = scram_login(c, "SCRAM-SHA-256-PLUS", "carol", "secret3", gs2=self.GS2,
                        cb_data=c.tls_server_end_point())
        self.assertLoggedIn(r.last, 1)

    def test_wrong_channel_binding_data_fails(self):
        c = self.tls()
        wrong = hashlib.sha256(b"some other certificate").digest()
        r = scram_login(c, "SCRAM-SHA-256-PLUS", "alice", "secret1", gs2=self.GS2, cb_data=wrong)
        self.assertEqual(r.last, AUTH_FAILED)
        self.assertIsNone(r.server_final, "no server signature for a wrong binding")
        self.server.log.wait_for(r"login failed user=alice ip=127\.0\.0\.1 reason=bad-credentials")

    def test_empty_channel_binding_data_fails(self):
        """p= with no cb-data after the header (what a relay that cannot see the
        server's certificate might send) is not this connection's binding."""
        c = self.tls()
        r = scram_login(c, "SCRAM-SHA-256-PLUS", "alice", "secret1", gs2=self.GS2, cb_data=b"")
        self.assertEqual(r.last, AUTH_FAILED)

    def test_y_flag_when_plus_is_offered_is_a_downgrade(self):
        """RFC 5802 section 6: 'y' while the server offers -PLUS means someone
        removed -PLUS from what the client saw: refuse."""
        c = self.tls()
        r = scram_login(c, "SCRAM-SHA-256", "alice", "secret1", gs2="y,,")
        self.assertEqual(r.last, AUTH_FAILED)
        self.assertIsNone(r.server_final)

    def test_n_flag_over_tls_is_fine(self):
        c = self.tls()
        self.assertLoggedIn(scram_login(c, "SCRAM-SHA-256", "alice", "secret1").last)

    def test_plus_without_p_flag_or_with_unknown_type_is_refused(self):
        c = self.tls()
        self.assertErr(scram_login(c, "SCRAM-SHA-256-PLUS", "alice", "secret1").last)
        r = scram_login(c, "SCRAM-SHA-256-PLUS", "alice", "secret1", gs2="p=tls-unique,,",
                        cb_data=b"x" * 12)
        self.assertErr(r.last)
        self.assertNotEqual(r.last, "+OK")

    def test_plus_after_stls(self):
        """The binding is set when STLS swaps the stream under the same session."""
        c = self.connect(self.server)
        status, body = c.multi("AUTH")
        self.assertNotIn(b"SCRAM-SHA-256-PLUS", body)
        self.assertOk(c.cmd("STLS"))
        self.assertEqual(c.buf, b"")
        context = ssl.create_default_context(cafile=TestCA.get().ca_cert)
        c.sock = context.wrap_socket(c.sock, server_hostname="localhost")
        status, body = c.multi("AUTH")
        self.assertIn(b"SCRAM-SHA-256-PLUS\r\n", body)
        cb_data = hashlib.sha256(c.sock.getpeercert(binary_form=True)).digest()
        r = scram_login(c, "SCRAM-SHA-256-PLUS", "alice", "secret1", gs2=self.GS2, cb_data=cb_data)
        self.assertLoggedIn(r.last, len(self.msgs))

    def test_plaintext_mechanisms_allowed_over_tls(self):
        c = self.tls()
        self.assertLoggedIn(c.cmd("AUTH PLAIN " + b64("\0alice\0secret1")))


@unittest.skipUnless(non_loopback_address(), "no non-loopback IPv4 address on this machine")
class PlaintextRefusedTest(SaslCase):
    """On a non-TLS, non-loopback connection PLAIN and LOGIN are hidden and
    refused with [AUTH]; SCRAM, which never sends the password, still works."""

    def test_plain_and_login_hidden_and_refused(self):
        address = non_loopback_address()
        server = self.start_server(listen=[f"{address}:0"])
        c = PopClient(server.port, host=address)
        self.addCleanup(c.close)
        status, body = c.multi("AUTH")
        self.assertEqual(body.decode().split("\r\n")[:-1], ["SCRAM-SHA-256", "SCRAM-SHA-1"])
        status, capa = c.multi("CAPA")
        self.assertIn(b"SASL SCRAM-SHA-256 SCRAM-SHA-1\r\n", capa)
        self.assertNotIn(b"USER", capa.split(b"\r\n"), "USER/PASS is not offered either")
        for command in ("AUTH PLAIN " + b64("\0alice\0secret1"), "AUTH LOGIN", "AUTH PLAIN"):
            reply = c.cmd(command)
            self.assertTrue(reply.startswith("-ERR [AUTH] Plaintext authentication is not allowed"), reply)
        self.assertLoggedIn(scram_login(c, "SCRAM-SHA-256", "alice", "secret1").last)


# --- GNU gsasl: an independent SCRAM implementation ---------------------------------

@unittest.skipUnless(shutil.which("gsasl"), "Debian's gsasl is not installed")
class GsaslTest(SaslCase):
    """gsasl --client speaks SASL on stdin/stdout (base64 lines); the test
    relays each line to and from poplar. gsasl exits 0 only when it has
    verified the server's signature."""

    def setUp(self):
        super().setUp()
        self.server = self.start_server()

    def gsasl(self, c: PopClient, mechanism: str, user: str, password: str,
              tamper_server_final: bool = False) -> tuple[str, int, str]:
        """(the server's last reply, gsasl's exit status, gsasl's stderr)."""
        proc = subprocess.Popen(["gsasl", "--client", "--mechanism", mechanism, "--authentication-id", user,
                                 "--password", password, "--service", "pop", "--hostname", "test.example",
                                 "--no-starttls"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, HOME=self.dir))

        def cleanup():
            if proc.poll() is None:
                proc.kill()
            proc.wait(TIMEOUT)
            for f in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    f.close()
                except (OSError, ValueError):
                    pass
        self.addCleanup(cleanup)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in iter(proc.stdout.readline, b"")] + [lines.put(None)],
                         daemon=True).start()

        def from_gsasl() -> str | None:
            """gsasl's next line; None when it has exited."""
            line = lines.get(timeout=TIMEOUT)
            return None if line is None else line.decode().strip()

        def to_gsasl(text: str):
            proc.stdin.write(text.encode() + b"\n")
            proc.stdin.flush()

        first = from_gsasl()
        if first == mechanism:  # gsasl names the mechanism it chose first
            first = from_gsasl()
        reply = c.cmd(f"AUTH {mechanism} {first or '='}")
        while reply.startswith("+ "):
            data = reply[2:]
            if tamper_server_final and unb64(data).startswith(b"v="):
                data = b64(b"v=" + b64(bytes(32)).encode())
            to_gsasl(data)
            response = from_gsasl()
            if response is None:  # gsasl gave up: cancel as RFC 5034 section 4 says
                reply = c.cmd("*")
                break
            reply = c.cmd(response)
        if reply.startswith("+OK"):
            to_gsasl("")  # the +OK carries no additional data
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        status = proc.wait(TIMEOUT)
        return reply, status, proc.stderr.read().decode(errors="replace")

    def test_scram_sha256_plain_user(self):
        c = self.connect(self.server)
        reply, status, err = self.gsasl(c, "SCRAM-SHA-256", "alice", "secret1")
        self.assertLoggedIn(reply, len(self.msgs))
        self.assertEqual(status, 0, err)
        self.assertIn("server trusted", err)
        self.assertOk(c.cmd("STAT"))

    def test_scram_sha1_stored_entry(self):
        c = self.connect(self.server)
        reply, status, err = self.gsasl(c, "SCRAM-SHA-1", "dave", "secret4")
        self.assertLoggedIn(reply, 1)
        self.assertEqual(status, 0, err)

    def test_scram_sha256_stored_entry_made_by_gsasl(self):
        """`gsasl --mkpasswd` makes the entry (an independent derivation of
        Dovecot's format); both gsasl and this file's client log in with it."""
        made = subprocess.run(["gsasl", "--mkpasswd", "--mechanism", "SCRAM-SHA-256", "--password", "secret6",
                               "--iteration-count", "4096", "--salt", b64(b"frank's salt")],
                              capture_output=True, text=True, timeout=TIMEOUT, check=True)
        entry = made.stdout.strip()
        self.assertRegex(entry, r"^\{SCRAM-SHA-256\}4096,[^,]+,[^,]+,[^,]+$")
        self.assertEqual(entry, dovecot_scram_entry("SCRAM-SHA-256", "secret6", b"frank's salt"))
        self.users["frank"] = entry
        self.write_passwd()
        c = self.connect(self.server)
        reply, status, err = self.gsasl(c, "SCRAM-SHA-256", "frank", "secret6")
        self.assertLoggedIn(reply, 0)
        self.assertEqual(status, 0, err)
        self.assertOk(c.cmd("QUIT"))
        c = self.connect(self.server)
        self.assertLoggedIn(scram_login(c, "SCRAM-SHA-256", "frank", "secret6").last, 0)

    def test_wrong_password(self):
        c = self.connect(self.server)
        reply, status, err = self.gsasl(c, "SCRAM-SHA-256", "alice", "not-the-password")
        self.assertEqual(reply, AUTH_FAILED)

    def test_gsasl_checks_the_server_signature(self):
        """The relay swaps poplar's v= for a forged one: gsasl must fail, so its
        exit 0 in the tests above means it did verify poplar's signature."""
        c = self.connect(self.server)
        reply, status, err = self.gsasl(c, "SCRAM-SHA-256", "alice", "secret1", tamper_server_final=True)
        self.assertEqual(reply, "-ERR Authentication cancelled.")
        self.assertNotEqual(status, 0, err)
        self.assertNotIn("server trusted", err)


# --- Real clients ------------------------------------------------------------------

@unittest.skipUnless(shutil.which("curl"), "Debian's curl is not installed")
class CurlSaslTest(SaslCase):

    def curl(self, server, *args, user="alice:secret1", options="") -> subprocess.CompletedProcess:
        url = f"pop3://127.0.0.1:{server.port}/1"
        return subprocess.run(["curl", "-s", "-S", "-v", "--max-time", str(TIMEOUT), "-u", user, *args,
                               *(["--login-options", options] if options else []), url],
                              capture_output=True, timeout=CLIENT_TIMEOUT)

    def first_message(self) -> bytes:
        first = sorted(self.msgs)[0]  # stamps grow with delivery: message 1 is the first delivered
        return wire_bytes(self.msgs[first])

    def check(self, r: subprocess.CompletedProcess, expect_auth: str):
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, 0, err)
        self.assertEqual(r.stdout, self.first_message())
        self.assertRegex(err, r"> " + re.escape(expect_auth), err)
        self.assertNotRegex(err, r"> USER ", "curl fell back to USER/PASS")

    def test_auth_plain(self):
        server = self.start_server()
        self.check(self.curl(server, options="AUTH=PLAIN"), "AUTH PLAIN\r")

    def test_auth_plain_initial_response(self):
        server = self.start_server()
        self.check(self.curl(server, "--sasl-ir", options="AUTH=PLAIN"), "AUTH PLAIN " + b64("\0alice\0secret1"))

    def test_auth_login(self):
        server = self.start_server()
        self.check(self.curl(server, options="AUTH=LOGIN"), "AUTH LOGIN\r")

    def test_auth_login_initial_response(self):
        server = self.start_server()
        self.check(self.curl(server, "--sasl-ir", options="AUTH=LOGIN"), "AUTH LOGIN " + b64("alice"))

    def test_auth_plain_wrong_password(self):
        server = self.start_server()
        r = self.curl(server, user="alice:nope", options="AUTH=PLAIN")
        self.assertEqual(r.returncode, 67, r.stderr)  # CURLE_LOGIN_DENIED

    def test_cram_md5_when_configured(self):
        """curl prefers CRAM-MD5 when offered; it works for {PLAIN} secrets only."""
        server = self.start_server(auth_mechanisms=["CRAM-MD5", "PLAIN"])
        c = self.connect(server)
        self.assertIn(b"SASL CRAM-MD5 PLAIN\r\n", c.multi("CAPA")[1])
        self.check(self.curl(server), "AUTH CRAM-MD5\r")
        r = self.curl(server, user="erin:secret5", options="AUTH=CRAM-MD5")
        self.assertEqual(r.returncode, 67, r.stderr)
        server.log.wait_for(r"login failed user=erin ip=127\.0\.0\.1 reason=bad-credentials")

    def test_cram_md5_by_hand(self):
        server = self.start_server(auth_mechanisms=["CRAM-MD5"])
        # RFC 5034 section 4: an initial response to a server-first mechanism is refused.
        self.assertErr(self.connect(server).cmd("AUTH CRAM-MD5 " + b64("alice 0123")))
        for user, password, ok in (("alice", "secret1", True), ("alice", "wrong", False),
                                   ("erin", "secret5", False)):
            c = self.connect(server)
            r = c.cmd("AUTH CRAM-MD5")
            challenge = unb64(r[2:])
            self.assertRegex(challenge, rb"^<[^<>@]+@test\.example>$")
            digest = hmac.new(password.encode(), challenge, "md5").hexdigest()
            reply = c.cmd(b64(f"{user} {digest}"))
            if ok:
                self.assertLoggedIn(reply)
            else:
                self.assertEqual(reply, AUTH_FAILED, user)


@unittest.skipUnless(shutil.which("mpop"), "Debian's mpop is not installed")
class MpopSaslTest(SaslCase):
    """mpop does SASL with GNU libgsasl."""

    def mpop(self, server, auth: str, user="alice", password="secret1") -> tuple[subprocess.CompletedProcess, str]:
        out = os.path.join(self.dir, f"inbox-{auth}-{user}")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(out, sub), exist_ok=True)
        conf = os.path.join(self.dir, "mpoprc")
        with open(conf, "w") as f:
            f.write("defaults\ntls off\nreceived_header off\naccount default\nhost 127.0.0.1\n"
                    f"port {server.port}\nuser {user}\npassword {password}\nauth {auth}\n"
                    f"timeout {int(TIMEOUT)}\ndelivery maildir {out}\n"
                    f"uidls_file {os.path.join(self.dir, 'uidls-' + auth + user)}\nkeep on\n")
        os.chmod(conf, 0o600)
        r = subprocess.run(["mpop", "-C", conf, "-q", "default"], capture_output=True, text=True,
                           timeout=CLIENT_TIMEOUT, stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=self.dir))
        return r, out

    def fetched(self, out: str) -> list[bytes]:
        new = os.path.join(out, "new")
        result = []
        for name in sorted(os.listdir(new)):
            with open(os.path.join(new, name), "rb") as f:
                result.append(f.read())
        return sorted(result)

    def test_scram_sha256(self):
        server = self.start_server()
        r, out = self.mpop(server, "scram-sha-256")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.fetched(out), sorted(as_lf(wire_bytes(m)) for m in self.msgs.values()))

    def test_scram_sha256_stored_entry(self):
        server = self.start_server()
        r, out = self.mpop(server, "scram-sha-256", "carol", "secret3")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(self.fetched(out)), 1)

    def test_scram_sha1(self):
        server = self.start_server()
        r, out = self.mpop(server, "scram-sha-1", "dave", "secret4")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(self.fetched(out)), 1)

    def test_plain(self):
        server = self.start_server()
        r, out = self.mpop(server, "plain")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(self.fetched(out)), len(self.msgs))

    def test_scram_wrong_password(self):
        server = self.start_server()
        r, out = self.mpop(server, "scram-sha-256", password="wrong")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.fetched(out), [])
        server.log.wait_for(r"login failed user=alice ip=127\.0\.0\.1 reason=bad-credentials")

    def test_cram_md5(self):
        server = self.start_server(auth_mechanisms=["CRAM-MD5", "SCRAM-SHA-256"])
        r, out = self.mpop(server, "cram-md5")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(self.fetched(out)), len(self.msgs))


@unittest.skipUnless(shutil.which("fetchmail"), "Debian's fetchmail is not installed")
class FetchmailSaslTest(SaslCase):

    def fetchmail(self, server, auth: str = "any") -> tuple[subprocess.CompletedProcess, list[bytes]]:
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
                    f"poll 127.0.0.1 service {server.port} protocol pop3 auth {auth} timeout 10\n"
                    '  user "alice" there with password "secret1" is "alice" here\n'
                    f"  options keep fetchall no rewrite sslproto '' mda \"{mda}\"\n")
        os.chmod(rc, 0o600)
        r = subprocess.run(["fetchmail", "-f", rc, "--nosyslog", "-v", "--pidfile", os.path.join(home, "pid")],
                           env=dict(os.environ, HOME=home, FETCHMAILHOME=home), capture_output=True, text=True,
                           timeout=CLIENT_TIMEOUT, stdin=subprocess.DEVNULL)
        got = []
        for name in sorted(os.listdir(out_dir)):
            with open(os.path.join(out_dir, name), "rb") as f:
                got.append(f.read())
        return r, sorted(got)

    def want(self) -> list[bytes]:
        return sorted(as_lf(wire_bytes(m)) for m in self.msgs.values())

    def test_default_auth(self):
        """fetchmail has no SCRAM or SASL PLAIN for POP3: offered only those, its
        'auth any' reads CAPA and falls back to USER/PASS."""
        server = self.start_server()
        r, got = self.fetchmail(server)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("POP3> CAPA", r.stdout + r.stderr)
        self.assertIn("POP3> USER alice", r.stdout + r.stderr)
        self.assertEqual(got, self.want())

    def test_cram_md5_picked_when_offered(self):
        server = self.start_server(auth_mechanisms=["SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN"])
        r, got = self.fetchmail(server)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("POP3> AUTH CRAM-MD5", r.stdout + r.stderr)
        self.assertEqual(got, self.want())


# --- Failures ----------------------------------------------------------------------

class SaslFailureTest(SaslCase):

    def test_failure_delay_and_log_line(self):
        server = self.start_server(auth_failure_delay="400ms")
        c = self.connect(server)
        for user, line in (("alice", "AUTH PLAIN " + b64("\0alice\0bad-one")),
                           ("nosuch", "AUTH PLAIN " + b64("\0nosuch\0bad-two"))):
            start = time.monotonic()
            self.assertEqual(c.cmd(line), AUTH_FAILED)
            self.assertGreaterEqual(time.monotonic() - start, 0.4)
            server.log.wait_for(rf"login failed user={user} ip=127\.0\.0\.1 reason=bad-credentials")
        self.assertOk(c.cmd("QUIT"))
        server.log.wait_for(r"session end user=- ")
        self.assertNotIn("bad-one", server.log.text())
        self.assertNotIn("bad-two", server.log.text())

    def test_too_many_failures_end_the_session(self):
        server = self.start_server(auth_failure_delay="0s", max_bad_commands_before_login=3)
        c = self.connect(server)
        self.assertEqual(c.cmd("AUTH PLAIN " + b64("\0alice\0x")), AUTH_FAILED)
        self.assertEqual(scram_login(c, "SCRAM-SHA-256", "alice", "y").last, AUTH_FAILED)
        last = c.cmd("AUTH LOGIN " + b64("alice"))
        last = c.cmd(b64("z"))
        self.assertTrue(last.startswith("-ERR [AUTH] Authentication failed"), last)
        self.assertIn("closing connection", last)
        self.assertTrue(c.at_eof())
        server.log.wait_for(r"session end user=- ip=127\.0\.0\.1 .*reason=too-many-bad-commands")
        # The limit is per connection.
        again = self.connect(server)
        self.assertLoggedIn(again.cmd("AUTH PLAIN " + b64("\0alice\0secret1")))


if __name__ == "__main__":
    unittest.main()
