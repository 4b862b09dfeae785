#!/usr/bin/env python3
"""Deterministic benchmark data: Dovecot passwd-files and Maildirs for both servers.

Writes, under DATA (default bench/data):

  users-plain    passwd-file, every user with a {PLAIN} secret
  users-sha512   the same users but the idle ones, with {SHA512-CRYPT} secrets
  mail/u0000..   --users small mailboxes of --messages messages of ~4 KiB
  mail/idle00000 --idle-users mailboxes, hard links to a small mailbox's files
  mail/huge      --huge-messages messages (the large-Maildir figures)
  mail/big       --big-messages messages of 5 MiB (the RETR throughput figure)
  STAMP          the generator version and parameters

User uNNNN has password pNNNN, idleNNNNN has iNNNNN, huge and big have their
own name as password. Messages are RFC 5322 with LF line ends as an MTA
stores them, some body lines start with '.' (one is a lone '.'), and are
named as Dovecot's LDA (time.MusecPpid.host,S=size,W=vsize) or Postfix
(time.VdevIinoMusec.host, no sizes) name them, half and half; all are in
cur/ with the Seen flag (":2,S"), as a mailbox looks after POP3 clients left
mail on the server, so neither server renames anything during a run.

Generated once: an existing DATA whose STAMP matches is reused as it is. The
tree is given to --owner (the unprivileged account both servers run as).
"""
import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import warnings

VERSION = 1
HOST = "mail.bench.example"
WORDS = ("the of and to in is was for on that with as by at from this have are be it not or an "
         "mailbox message server delivery client login report quarter budget meeting draft review "
         "schedule invoice project release notes attached please thanks regards tomorrow friday "
         "update status numbers figures team office travel weekend question answer").split()
NAMES = ("Alice Martin", "Bob Dubois", "Carol Schmidt", "Dave Rossi", "Eve Novak", "Frank Jensen",
         "Grace Silva", "Heidi Kowalski", "Ivan Petrov", "Judy Nakamura")


def text_line(rng, width=72):
    words, length = [], 0
    while length < width - 10:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    return " ".join(words).capitalize() + rng.choice(".,;:!?")


def headers(rng, user, index, when, subject, extra):
    sender = rng.choice(NAMES)
    address = sender.split()[0].lower() + "@example.org"
    date = f"Tue, 14 Nov 2023 {index % 24:02d}:{index % 60:02d}:{(index * 7) % 60:02d} +0000"
    queue_id = f"{rng.getrandbits(40):010X}"
    return [
        f"Return-Path: <{address}>",
        f"Delivered-To: {user}@bench.example",
        f"Received: from mx.example.org (mx.example.org [192.0.2.{rng.randint(1, 254)}])",
        f"\tby {HOST} (Postfix) with ESMTPS id {queue_id}",
        f"\tfor <{user}@bench.example>; {date}",
        f"From: {sender} <{address}>",
        f"To: {user} <{user}@bench.example>",
        f"Subject: {subject}",
        f"Date: {date}",
        f"Message-ID: <{when}.{index}.{queue_id}@example.org>",
        "MIME-Version: 1.0",
    ] + extra


def body_lines(rng, target):
    """Plain text of about target octets, with the lines a POP3 server must byte-stuff."""
    lines, size = [], 0
    while size < target:
        roll = rng.random()
        if roll < 0.04:
            line = "." + text_line(rng, 40)          # starts with '.'
        elif roll < 0.05:
            line = rng.choice([".", "..", "...", ". "])  # a lone '.' would end the reply unstuffed
        elif roll < 0.15:
            line = ""
        else:
            line = text_line(rng)
        lines.append(line)
        size += len(line) + 1
    return lines + ["-- ", rng.choice(NAMES)]


def small_message(rng, user, index, when):
    """About 4 KiB: plain text, or now and then text plus a small attachment."""
    target = int(rng.triangular(1200, 8000, 3200))
    subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7))).capitalize()
    if rng.random() < 0.2:
        boundary = f"=_bench_{rng.getrandbits(48):012x}"
        head = headers(rng, user, index, when, subject,
                       [f'Content-Type: multipart/mixed; boundary="{boundary}"'])
        blob = base64.encodebytes(rng.randbytes(max(300, target // 2))).decode().splitlines()
        lines = (head + ["", "This is a multi-part message in MIME format.", "", f"--{boundary}",
                         "Content-Type: text/plain; charset=us-ascii", ""]
                 + body_lines(rng, target // 3)
                 + [f"--{boundary}", 'Content-Type: application/octet-stream; name="notes.bin"',
                    "Content-Transfer-Encoding: base64", ""]
                 + blob + [f"--{boundary}--"])
    else:
        head = headers(rng, user, index, when, subject,
                       ["Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit"])
        lines = head + [""] + body_lines(rng, target)
    return ("\n".join(lines) + "\n").encode()


def big_message(rng, user, index, when, size):
    """size octets: a short text and a base64 attachment (76-character lines)."""
    boundary = f"=_bench_{rng.getrandbits(48):012x}"
    head = headers(rng, user, index, when, f"Scans {index}",
                   [f'Content-Type: multipart/mixed; boundary="{boundary}"'])
    start = "\n".join(head + ["", f"--{boundary}", "Content-Type: text/plain; charset=us-ascii", ""]
                      + body_lines(rng, 1500)
                      + [f"--{boundary}", 'Content-Type: application/pdf; name="scan.pdf"',
                         "Content-Transfer-Encoding: base64", ""]) + "\n"
    end = f"--{boundary}--\n"
    raw = (size - len(start) - len(end)) * 57 // 77  # base64 lines: 57 octets -> 76 + LF
    blob = base64.encodebytes(rng.randbytes(max(0, raw))).decode()
    data = (start + blob + end).encode()
    return data + b"\n" * max(0, size - len(data))


def file_name(rng, when, index, data):
    usec = rng.randint(0, 999999)
    if index % 2 == 0:  # Dovecot's LDA
        crlf = len(data) + data.count(b"\n")
        return f"{when}.M{usec}P{rng.randint(1000, 60000)}.{HOST},S={len(data)},W={crlf}:2,S"
    return f"{when}.V{0x801:x}I{rng.getrandbits(32):x}M{usec}.{HOST}:2,S"  # Postfix


def make_maildir(path):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)


def write_mailbox(root, user, seed, count, make):
    rng = random.Random(seed)
    path = os.path.join(root, "mail", user)
    make_maildir(path)
    when = 1_700_000_000 + seed % 100_000
    names = []
    for i in range(count):
        data = make(rng, user, i, when + i)
        name = file_name(rng, when + i, i, data)
        with open(os.path.join(path, "cur", name), "wb") as f:
            f.write(data)
        names.append(name)
    return names


def sha512_crypt(password, rng):
    alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    salt = "".join(rng.choice(alphabet) for _ in range(16))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # Python 3.11 (Debian 12) still has it
        return crypt.crypt(password, f"$6${salt}")
    except ImportError:
        return subprocess.run(["openssl", "passwd", "-6", "-salt", salt, password], check=True,
                              capture_output=True, text=True).stdout.strip()


def generate(root, args, uid, gid):
    users = []  # (name, password, has sha512 entry)
    for u in range(args.users):
        name = f"u{u:04d}"
        write_mailbox(root, name, 1000 + u, args.messages, small_message)
        users.append((name, f"p{u:04d}", True))
    print(f"gen_data: {args.users} mailboxes of {args.messages} messages", file=sys.stderr)

    write_mailbox(root, "big", 7, args.big_messages,
                  lambda rng, user, i, when: big_message(rng, user, i, when, 5 * 1024 * 1024))
    users.append(("big", "big", True))
    write_mailbox(root, "huge", 100, args.huge_messages, small_message)
    users.append(("huge", "huge", True))
    print(f"gen_data: huge ({args.huge_messages} messages), big ({args.big_messages} x 5 MiB)",
          file=sys.stderr)

    # Idle users share the small mailboxes' files through hard links: a real
    # mailbox each, at the cost of directory entries only.
    for i in range(args.idle_users):
        name = f"idle{i:05d}"
        source = os.path.join(root, "mail", f"u{i % args.users:04d}", "cur")
        path = os.path.join(root, "mail", name)
        make_maildir(path)
        for entry in os.listdir(source):
            os.link(os.path.join(source, entry), os.path.join(path, "cur", entry))
        users.append((name, f"i{i:05d}", False))
    print(f"gen_data: {args.idle_users} idle-test mailboxes", file=sys.stderr)

    with open(os.path.join(root, "users-plain"), "w") as f:
        f.write("# poplar benchmark users, {PLAIN}: generated by bench/gen_data.py\n")
        for name, password, _ in users:
            f.write(f"{name}:{{PLAIN}}{password}:{uid}:{gid}::::\n")
    rng = random.Random(512)
    with open(os.path.join(root, "users-sha512"), "w") as f:
        f.write("# poplar benchmark users, {SHA512-CRYPT}: generated by bench/gen_data.py\n")
        for name, password, hashed in users:
            if hashed:
                f.write(f"{name}:{{SHA512-CRYPT}}{sha512_crypt(password, rng)}:{uid}:{gid}::::\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
    parser.add_argument("--users", type=int, default=256)
    parser.add_argument("--messages", type=int, default=20, help="messages per small mailbox")
    parser.add_argument("--idle-users", type=int, default=10_000)
    parser.add_argument("--huge-messages", type=int, default=100_000)
    parser.add_argument("--big-messages", type=int, default=8)
    parser.add_argument("--owner", default="poplar-bench", help="account that owns the data (both servers run as it)")
    args = parser.parse_args()

    import pwd
    owner = pwd.getpwnam(args.owner)
    stamp = {"version": VERSION, "users": args.users, "messages": args.messages,
             "idle_users": args.idle_users, "huge_messages": args.huge_messages,
             "big_messages": args.big_messages, "owner": args.owner}
    root = os.path.abspath(args.data)
    try:
        with open(os.path.join(root, "STAMP")) as f:
            if json.load(f) == stamp:
                print(f"gen_data: {root} is up to date", file=sys.stderr)
                return
    except (OSError, ValueError):
        pass

    # Built beside the target and renamed into place: a run cut short leaves no
    # half-made data behind a valid stamp.
    building = root + ".building"
    shutil.rmtree(building, ignore_errors=True)
    os.makedirs(building)
    generate(building, args, owner.pw_uid, owner.pw_gid)
    with open(os.path.join(building, "STAMP"), "w") as f:
        json.dump(stamp, f)
    subprocess.run(["chown", "-R", f"{owner.pw_uid}:{owner.pw_gid}", building], check=True)
    shutil.rmtree(root, ignore_errors=True)
    os.rename(building, root)
    print(f"gen_data: wrote {root}", file=sys.stderr)


if __name__ == "__main__":
    main()
