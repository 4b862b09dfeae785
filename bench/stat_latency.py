#!/usr/bin/env python3
"""Time from connect to the STAT reply on a large Maildir, first and second login.

Builds a Maildir of N messages whose names carry no ,W= size (so the first
login must compute every size, and later logins read them from poplar's size
cache; with --w-names they carry it, as Dovecot writes them), starts the
given poplar binary on a free loopback port, and times connect -> greeting ->
USER/PASS -> STAT reply for several logins in a row.

    python3 bench/stat_latency.py --poplar build/release/poplar --messages 10000
"""
import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def write_dovecot_uidlist(root):
    """A dovecot-uidlist naming every message, as Dovecot 2.3 writes it."""
    names = sorted(os.listdir(os.path.join(root, "new")))
    with open(os.path.join(root, "dovecot-uidlist"), "w") as f:
        f.write(f"3 V1795319132 N{len(names) + 1} G86df26265c65026b792a000083ecc375\n")
        for uid, name in enumerate(names, 1):
            f.write(f"{uid} :{name}\n")


def make_maildir(root, count, seed=1939, w_names=False, utf8_every=0):
    rng = random.Random(seed)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    base = 1_700_000_000
    for i in range(count):
        subject = f"message {i}"
        if utf8_every and i % utf8_every == 0:
            subject = f"Nachricht {i} \u00fcber Stra\u00dfen"  # an SMTPUTF8 header
        lines = [f"Subject: {subject}", f"Message-ID: <{i}@bench>", ""]
        lines += ["x" * rng.randint(10, 70) for _ in range(rng.randint(5, 60))]
        data = ("\n".join(lines) + "\n").encode()
        name = f"{base + i}.M{i}P1.bench"
        if w_names:
            # Dovecot's names: the physical and the CRLF size, known unread.
            crlf_size = len(data) + data.count(b"\n")
            name += f",S={len(data)},W={crlf_size}"
        with open(os.path.join(root, "new", name), "wb") as f:
            f.write(data)


def start_server(binary, workdir):
    config = os.path.join(workdir, "poplar.toml")
    with open(config, "w") as f:
        f.write(f'listen = ["127.0.0.1:0"]\npasswd_file = "{workdir}/users"\n'
                f'mail_path = "{workdir}/mail/%u"\n')
    with open(os.path.join(workdir, "users"), "w") as f:
        f.write("bench:{PLAIN}bench::::::\n")
    process = subprocess.Popen([binary, "serve", "--config", config],
                               stderr=subprocess.PIPE, text=True)
    port = None
    for line in process.stderr:
        if "listening on" in line:
            port = int(line.rsplit(":", 1)[1])
        if line.strip() == "poplar: ready":
            break
    if port is None:
        process.kill()
        sys.exit("poplar did not start")
    return process, port


def read_line(sock_file):
    line = sock_file.readline()
    if not line.startswith(b"+OK"):
        raise RuntimeError(f"unexpected reply {line!r}")
    return line


def timed_login(port):
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        f = sock.makefile("rb")
        read_line(f)
        sock.sendall(b"USER bench\r\nPASS bench\r\nSTAT\r\n")
        read_line(f)
        read_line(f)
        stat = read_line(f)
        elapsed = time.perf_counter() - started
        sock.sendall(b"QUIT\r\n")
        read_line(f)
    return elapsed, stat.decode().strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--poplar", default="build/release/poplar")
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--logins", type=int, default=3)
    parser.add_argument("--w-names", action="store_true",
                        help="names carry ,S= and ,W= as Dovecot writes them (no size to compute)")
    parser.add_argument("--utf8-every", type=int, default=0, metavar="N",
                        help="every Nth message has a UTF-8 Subject (0: none)")
    parser.add_argument("--dovecot-uidlist", action="store_true",
                        help="a dovecot-uidlist naming every message (its UIDLs are then shown)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="poplar-bench-")
    try:
        make_maildir(os.path.join(workdir, "mail", "bench"), args.messages,
                     w_names=args.w_names, utf8_every=args.utf8_every)
        if args.dovecot_uidlist:
            write_dovecot_uidlist(os.path.join(workdir, "mail", "bench"))
        process, port = start_server(os.path.abspath(args.poplar), workdir)
        try:
            for i in range(args.logins):
                elapsed, stat = timed_login(port)
                label = "first" if i == 0 else f"login {i + 1}"
                print(f"{args.messages} messages, {label}: connect->STAT {elapsed * 1000:.1f} ms ({stat})")
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
