#!/usr/bin/env python3
"""poplar against Dovecot on the same machine, data and load: the benchmark of issue 5.

    python3 bench/run.py            # the full run (make bench); writes bench/RESULTS.md
    python3 bench/run.py --quick    # small counts, checks the pipeline (make bench-quick)

Needs build/release/poplar and build/release/poplar-loadgen (-DPOPLAR_BENCH=ON),
Dovecot's pop3d and the poplar-bench account (scripts/install-bench-deps.sh);
`make bench` does all of that first. Generates the data (bench/gen_data.py,
reused when present), then for each server in turn (poplar; Dovecot with
Debian's defaults; Dovecot in its high-performance mode) starts it on a free
127.0.0.1 port over the same passwd-file and Maildirs, measures every figure
at least --repeat times with bench/poplar-loadgen, and stops it. Prints and
writes a table of medians with min-max, the ratio poplar/Dovecot (against the
better Dovecot mode) and poplar/ceiling, and each target of the issue.
Every server this starts is stopped on the way out, also on Ctrl-C.
"""
import argparse
import datetime
import json
import os
import platform
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
CORES = os.cpu_count() or 1
OWNER = "poplar-bench"

# Counts per profile. The full run takes about 15 minutes on 2 cores.
PROFILES = {
    "full": dict(data="data", users=256, messages=20, idle_users=10_000, huge_messages=100_000,
                 big_messages=8, duration=6.0, warmup=2.0, idle_poplar=2000, idle_dovecot=200,
                 idle_many=10_000, probe_sessions=100, greet_duration=4.0, stream_duration=3.0),
    "quick": dict(data="data-quick", users=64, messages=20, idle_users=400, huge_messages=5_000,
                  big_messages=2, duration=1.0, warmup=0.5, idle_poplar=200, idle_dovecot=50,
                  idle_many=400, probe_sessions=20, greet_duration=1.0, stream_duration=1.0),
}


def log(text):
    print(f"bench: {text}", file=sys.stderr, flush=True)


# --- processes ---------------------------------------------------------------

def process_table():
    """{pid: ppid} of every process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            table[int(name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            pass
    return table


def tree(root):
    """root and all its descendants."""
    table = process_table()
    found, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in table.items():
            if ppid == parent:
                found.append(pid)
                frontier.append(pid)
    return found


def pss_kib(root):
    """Proportional set size of a process tree (shared pages split among sharers), in KiB."""
    total = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def open_fds(root):
    """Descriptors open in a process tree."""
    total = 0
    for pid in tree(root):
        try:
            total += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    return total


def raise_nofile():
    """A server's descriptor limit: high enough for the 10,000-connection figure
    where root may raise the hard limit, else the hard limit as it is."""
    import resource
    for want in (262_144, 65_536):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return
        except (ValueError, OSError):
            pass
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def nofile_limit():
    """The limit raise_nofile() gives a server here."""
    probe = subprocess.run([sys.executable, "-c", "import resource,sys; sys.path.insert(0, sys.argv[1]); "
                            "import run; run.raise_nofile(); print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])",
                            BENCH], capture_output=True, text=True)
    return int(probe.stdout.strip() or 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_greeting(port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(64).startswith(b"+OK"):
                    return True
        except OSError:
            time.sleep(0.1)
    return False


class Server:
    """A server started by the benchmark, stopped by stop() (and by the caller's finally)."""

    def __init__(self, name, process, port, logfile):
        self.name, self.process, self.port, self.logfile = name, process, port, logfile

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        if self.process.poll() is None:
            pids = tree(self.pid)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            # Dovecot's children end after their master; wait for them, then make sure.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in pids[1:]):
                time.sleep(0.1)
            for p in pids[1:]:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass


def start_poplar(ctx, passwd_file, label):
    workdir = os.path.join(ctx.data, "poplar")
    os.makedirs(workdir, exist_ok=True)
    config = os.path.join(workdir, f"{label}.toml")
    with open(config, "w") as f:
        f.write("# poplar for the benchmark: generated by bench/run.py\n"
                'listen = ["127.0.0.1:0"]\n'
                f'passwd_file = "{passwd_file}"\n'
                f'mail_path = "{ctx.data}/mail/%u"\n'
                'auth_failure_delay = "0s"\n'
                f"max_connections = {ctx.p['idle_many'] + 1000}\n"
                f"max_connections_per_ip = {ctx.p['idle_many'] + 1000}\n")
    logfile = os.path.join(workdir, f"{label}.log")
    owner = pwd.getpwnam(OWNER)
    with open(logfile, "w") as err:
        process = subprocess.Popen(
            ["setpriv", f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}", "--clear-groups",
             ctx.poplar, "serve", "--config", config],
            stdout=subprocess.DEVNULL, stderr=err, preexec_fn=raise_nofile)
    server = Server("poplar", process, None, logfile)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        with open(logfile) as f:
            text = f.read()
        if "poplar: ready" in text:
            for line in text.splitlines():
                if "listening on" in line:
                    server.port = int(line.rsplit(":", 1)[1])
            break
        time.sleep(0.05)
    if server.port is None:
        server.stop()
        sys.exit(f"bench: poplar did not start; see {logfile}")
    return server


DOVECOT_MODES = {
    # Debian's defaults: a new pop3-login process per connection
    # (service_count = 1), a new pop3 process per session.
    "defaults": "",
    # Dovecot's documented high-performance mode: login processes serve many
    # connections and one waits per core; pop3 processes are reused.
    "high-performance": f"""
service pop3-login {{
  service_count = 0
  process_min_avail = {CORES}
}}
service pop3 {{
  service_count = 1000
  process_min_avail = {CORES}
}}
""",
}


def start_dovecot(ctx, mode, passwd_file, label):
    owner = pwd.getpwnam(OWNER)
    workdir = os.path.join(ctx.data, label)
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    base_dir = os.path.join(workdir, "run")
    if len(base_dir) > 60:  # UNIX socket paths under it must stay under 108 octets
        base_dir = tempfile.mkdtemp(prefix="poplar-bench-dovecot-")
        ctx.cleanup.append(base_dir)
    state = os.path.join(ctx.data, "dovecot")  # indexes, shared by both modes
    os.makedirs(state, exist_ok=True)
    os.chown(state, owner.pw_uid, owner.pw_gid)
    port = free_port()
    config = os.path.join(workdir, "dovecot.conf")
    with open(config, "w") as f:
        f.write(f"""# Dovecot for the benchmark ({mode}): generated by bench/run.py.
# Self-contained: nothing of /etc/dovecot is read. Settings not named here are
# Dovecot's compiled-in defaults, which Debian's shipped conf.d leaves as they
# are for POP3 (it adds SSL, which the benchmark does not use).
instance_name = poplar-bench-{label}
base_dir = {base_dir}
state_dir = {workdir}/state
log_path = {workdir}/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = {owner.pw_uid}
first_valid_gid = {owner.pw_gid}
# Indexes and control files outside the Maildirs, which stay as poplar reads them.
mail_location = maildir:{ctx.data}/mail/%u:INDEX={state}/index/%u:CONTROL={state}/control/%u
passdb {{
  driver = passwd-file
  args = {passwd_file}
}}
userdb {{
  driver = passwd-file
  args = {passwd_file}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
# Raised from 100 (default_process_limit) for the idle-connection figure:
# each logged-in POP3 session is one pop3 process; auth's client_limit to match.
service pop3 {{
  process_limit = 1024
}}
service auth {{
  client_limit = 2000
}}
{DOVECOT_MODES[mode]}""")
    logfile = os.path.join(workdir, "dovecot.log")
    process = subprocess.Popen(["dovecot", "-F", "-c", config], stdout=subprocess.DEVNULL,
                               stderr=open(os.path.join(workdir, "stderr.log"), "w"), preexec_fn=raise_nofile)
    server = Server(f"dovecot-{mode}", process, port, logfile)
    if not wait_for_greeting(port, 20):
        server.stop()
        sys.exit(f"bench: Dovecot did not start; see {workdir}")
    return server


# --- the load generator --------------------------------------------------------

def loadgen(ctx, server, *args, stdin_lines=None, expect_ok=True):
    """Runs poplar-loadgen; returns its last JSON line (all lines with stdin_lines)."""
    command = [ctx.loadgen, "--port", str(server.port) if server else "0", *map(str, args)]
    if stdin_lines is None:
        result = subprocess.run(command, capture_output=True, text=True, timeout=900)
        lines = [json.loads(l) for l in result.stdout.splitlines() if l.startswith("{")]
        if not lines:
            sys.exit(f"bench: loadgen printed nothing: {' '.join(command)}\n{result.stderr}")
        out = lines[-1]
    else:
        out = stdin_lines(command)
    ctx.raw.append({"server": server.name if server else None, "args": list(map(str, args)), "result": out})
    if expect_ok and not out.get("ok"):
        ctx.failures.append(f"{server.name if server else 'ceiling'} {' '.join(map(str, args))}: "
                            f"{out.get('errors')} errors, e.g. {(out.get('error_samples') or [])[:2]}")
        log(f"FAILED: {ctx.failures[-1]}")
    return out


def small_users(ctx):
    return ["--users", ctx.p["users"], "--user-pattern", "u{:04}", "--password-pattern", "p{:04}"]


def fixed_user(name):
    return ["--users", 1, "--user-pattern", name, "--password-pattern", name]


def sessions_run(ctx, server, clients, pipelining=False):
    args = [*small_users(ctx), "--clients", clients, "--threads", min(2, clients),
            "--duration", ctx.p["duration"], "--warmup", ctx.p["warmup"], "--server-pid", server.pid]
    if pipelining:
        args.append("--pipelining")
    return loadgen(ctx, server, *args)


def prime(ctx, server):
    """One session per small mailbox, so that no measured session is a mailbox's first."""
    clients = min(64, ctx.p["users"])
    loadgen(ctx, server, *small_users(ctx), "--clients", clients, "--threads", 2,
            "--sessions", 2 * ctx.p["users"])
    loadgen(ctx, server, *fixed_user("big"), "--clients", 1, "--sessions", 1)


def idle_memory(ctx, server, count, probe=0, expect_ok=True):
    """PSS of the server's processes before and while `count` logged-in sessions idle."""
    time.sleep(0.5)
    before = pss_kib(server.pid)
    fds_before = open_fds(server.pid)
    measured = {}

    def drive(command):
        process = subprocess.Popen(command + ["--threads", "2",
                                              "--probe-sessions", str(probe), *map(str, small_users(ctx)),
                                              "--hold-max", "600"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            ready = json.loads(process.stdout.readline() or "{}")
            time.sleep(1.0)  # let the server settle (Dovecot forks per session)
            measured["during"] = pss_kib(server.pid)
            measured["fds"] = open_fds(server.pid)
            measured["ready"] = ready
            process.stdin.write("go\n")
            process.stdin.flush()
            out, _ = process.communicate(timeout=600)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        lines = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        return lines[-1] if lines else {"ok": False, "errors": "no output"}

    result = loadgen(ctx, server, "--idle", count, stdin_lines=drive, expect_ok=expect_ok)
    held = result.get("held") or 0
    result["pss_before_kib"] = before
    result["pss_during_kib"] = measured.get("during", 0)
    result["kib_per_connection"] = (measured.get("during", 0) - before) / held if held else float("nan")
    result["fds_per_connection"] = (measured.get("fds", 0) - fds_before) / held if held else float("nan")
    return result


def huge_stat(ctx, server, first):
    """connect -> STAT reply on the 100,000-message Maildir, ms; first: after removing the index."""
    if first:
        mailbox = os.path.join(ctx.data, "mail", "huge")
        if server.name == "poplar":
            for name in os.listdir(mailbox):
                if name.startswith("poplar-"):
                    os.remove(os.path.join(mailbox, name))
        else:
            for kind in ("index", "control"):
                shutil.rmtree(os.path.join(ctx.data, "dovecot", kind, "huge"), ignore_errors=True)
    out = loadgen(ctx, server, *fixed_user("huge"), "--clients", 1, "--sessions", 1, "--script", "stat",
                  "--io-timeout", 120)
    return out["stat_ms"]["p50"]


# --- figures -------------------------------------------------------------------

class Figures:
    """figure -> server -> list of samples."""

    def __init__(self):
        self.values = {}

    def add(self, figure, server, value):
        self.values.setdefault(figure, {}).setdefault(server, []).append(value)

    def get(self, figure, server):
        return self.values.get(figure, {}).get(server, [])


def measure_server(ctx, server, figures, key, restart):
    """Every figure but SHA512-CRYPT's; restart() gives a freshly started server."""
    repeat = ctx.repeat
    log(f"{key}: priming")
    prime(ctx, server)
    for clients in (8, 64):
        log(f"{key}: full sessions, {clients} clients")
        for _ in range(repeat):
            out = sessions_run(ctx, server, clients)
            figures.add(f"sessions_{clients}", key, out["sessions_per_s"])
            figures.add(f"cpu_{clients}", key, out.get("server_cpu_ms_per_session", float("nan")))
            figures.add(f"loadgen_cpu_{clients}", key, out["loadgen_cpu_pct"])
            if clients == 64:
                figures.add("p50_64", key, out["session_ms"]["p50"])
                figures.add("p99_64", key, out["session_ms"]["p99"])
                figures.add("p99_over_p50_64", key, out["session_ms"]["p99"] / max(out["session_ms"]["p50"], 1e-9))
    log(f"{key}: full sessions with PIPELINING, 64 clients")
    for _ in range(repeat):
        out = sessions_run(ctx, server, 64, pipelining=True)
        figures.add("sessions_64_pipelined", key, out["sessions_per_s"])
        figures.add("cpu_64_pipelined", key, out.get("server_cpu_ms_per_session", float("nan")))
    log(f"{key}: RETR of 5 MiB messages")
    for _ in range(repeat):
        out = loadgen(ctx, server, *fixed_user("big"), "--clients", 1, "--sessions", 2)
        figures.add("retr_big", key, out["mb_per_s"])
    log(f"{key}: {ctx.p['huge_messages']}-message Maildir, connect to STAT")
    for _ in range(repeat):
        figures.add("huge_first", key, huge_stat(ctx, server, first=True))
        figures.add("huge_later", key, huge_stat(ctx, server, first=False))
    log(f"{key}: UIDL of {ctx.p['huge_messages']} messages")
    for _ in range(repeat):
        out = loadgen(ctx, server, *fixed_user("huge"), "--clients", 1, "--sessions", 1, "--script", "uidl")
        figures.add("huge_uidl", key, out["uidl_ms"]["p50"])
    count = ctx.p["idle_poplar"] if key == "poplar" else ctx.p["idle_dovecot"]
    log(f"{key}: memory per idle logged-in connection ({count} connections)")
    for _ in range(repeat):
        # On a fresh server: one that ran the figures above keeps memory (and
        # Dovecot idle pop3 processes) that idle sessions would reuse unseen.
        server = restart()
        time.sleep(1.0)
        out = idle_memory(ctx, server, count)
        figures.add("idle_kib", key, out["kib_per_connection"])
        figures.add("idle_fds", key, out["fds_per_connection"])


def measure_many_idle(ctx, figures, restart):
    """poplar only: a new client's latency while 10,000 logged-in sessions idle, against its normal one."""
    count = ctx.p["idle_many"]
    probes = ctx.p["probe_sessions"]
    # Each idle session costs the server some descriptors (measured with the
    # memory figure); where the limit cannot hold them all, measure as many
    # as it can and say so.
    limit = nofile_limit()
    per_session = median(figures.get("idle_fds", "poplar"))
    if per_session == per_session and per_session * count + 500 > limit:
        count = max(100, int((limit - 500) / per_session) // 100 * 100)
        ctx.notes.append(f"{ctx.p['idle_many']:,} idle sessions would need about "
                         f"{per_session * ctx.p['idle_many']:,.0f} descriptors in poplar "
                         f"({per_session:.1f} per session) but the servers' RLIMIT_NOFILE here is {limit:,} "
                         f"(and root may not raise it): the figure is measured with {count:,}")
    ctx.many_idle_count = count
    log(f"poplar: {count} idle logged-in connections and a new client's sessions")
    for _ in range(ctx.repeat):
        server = restart()
        time.sleep(1.0)
        # Logins the server refuses (a descriptor limit, say) are this
        # figure's result, "held" below; only the probe's sessions must not fail.
        out = idle_memory(ctx, server, count, probe=probes, expect_ok=False)
        for name in ("probe_before", "probe"):
            if not out.get(name, {}).get("ok"):
                ctx.failures.append(f"poplar: {name} sessions with {count} idle: {out.get(name)}")
        if out.get("errors"):
            ctx.notes.append(f"poplar held {out.get('held')} of {count} idle sessions; the rest were refused, "
                             f"e.g. {out.get('error_samples', [])[:2]}")
        normal = out.get("probe_before", {}).get("session_ms", {}).get("p50", float("nan"))
        loaded = out.get("probe", {}).get("session_ms", {}).get("p50", float("nan"))
        figures.add("many_idle_held", "poplar", out.get("held", 0))
        figures.add("many_idle_p50_ratio", "poplar", loaded / normal)
        figures.add("many_idle_p50", "poplar", loaded)
        figures.add("many_idle_normal_p50", "poplar", normal)
        figures.add("many_idle_kib", "poplar", out["kib_per_connection"])


def measure_sha512(ctx, server, figures, key):
    log(f"{key}: full sessions, 8 clients, SHA512-CRYPT passwords")
    loadgen(ctx, server, *small_users(ctx), "--clients", 8, "--threads", 2, "--sessions", 64)
    for _ in range(ctx.repeat):
        out = sessions_run(ctx, server, 8)
        figures.add("sessions_8_sha512", key, out["sessions_per_s"])
        figures.add("cpu_8_sha512", key, out.get("server_cpu_ms_per_session", float("nan")))


def measure_ceilings(ctx, figures):
    log("ceilings: loopback stream, greet-and-close server")
    for _ in range(ctx.repeat):
        out = loadgen(ctx, None, "--ceiling-stream", "--duration", ctx.p["stream_duration"])
        figures.add("retr_big", "ceiling", out["mb_per_s"])
        out = loadgen(ctx, None, "--greet-server", "--clients", 64, "--threads", 2,
                      "--duration", ctx.p["greet_duration"], "--warmup", 0.5)
        figures.add("sessions_64", "ceiling", out["sessions_per_s"])
        figures.add("sessions_64_pipelined", "ceiling", out["sessions_per_s"])
        figures.add("sessions_8", "ceiling", out["sessions_per_s"])


# --- the table -----------------------------------------------------------------

# (figure, label, unit, better: "high" or "low", target description, target test on the ratio)
# The ratio is poplar/Dovecot for "high" figures and Dovecot/poplar for "low"
# ones: so a ratio above 1 always means poplar is better.
ROWS = [
    ("sessions_8", "full small sessions/s, 8 clients", "/s", "high", None),
    ("cpu_8", "server CPU per session, 8 clients", "ms", "low", None),
    ("sessions_64", "full small sessions/s, 64 clients", "/s", "high", ("≥ 8x", lambda r: r >= 8)),
    ("cpu_64", "server CPU per session, 64 clients", "ms", "low", ("≥ 8x less", lambda r: r >= 8)),
    ("sessions_64_pipelined", "… with PIPELINING, 64 clients", "/s", "high", ("≥ 8x", lambda r: r >= 8)),
    ("cpu_64_pipelined", "server CPU per session, PIPELINING", "ms", "low", None),
    ("p50_64", "session latency p50, 64 clients", "ms", "low", None),
    ("p99_64", "session latency p99, 64 clients", "ms", "low", None),
    ("retr_big", "RETR of 5 MiB messages", "MB/s", "high", ("≥ 6x", lambda r: r >= 6)),
    ("huge_first", "100k Maildir: connect→STAT, first", "ms", "low", ("≥ 5x faster", lambda r: r >= 5)),
    ("huge_later", "100k Maildir: connect→STAT, later", "ms", "low", ("≥ 15x faster", lambda r: r >= 15)),
    ("huge_uidl", "UIDL of all 100k messages", "ms", "low", ("≥ 2x faster", lambda r: r >= 2)),
    ("idle_kib", "PSS per idle logged-in connection", "KiB", "low", ("≥ 30x smaller", lambda r: r >= 30)),
    ("idle_fds", "descriptors per idle logged-in connection", "fds", "low", None),
    ("sessions_8_sha512", "full sessions/s, 8 clients, SHA512-CRYPT", "/s", "high", None),
    ("cpu_8_sha512", "server CPU per session, SHA512-CRYPT", "ms", "low", None),
]

# Targets on poplar's own figures (no Dovecot involved).
OWN_TARGETS = [
    ("p99_over_p50_64", "p99/p50 session latency, 64 clients", "≤ 3", lambda v: v <= 3, "{:.2f}"),
    ("pipelining_gain", "PIPELINING gain (pipelined / plain sessions/s, 64 clients)",
     "≥ 2 (\"as fast again\")", lambda v: v >= 2, "{:.2f}"),
    ("retr_big_of_ceiling", "RETR 5 MiB / loopback stream ceiling", "≥ 0.60", lambda v: v >= 0.6, "{:.2f}"),
    ("idle_kib_abs", "PSS per idle logged-in connection (KiB)", "≤ 16", lambda v: v <= 16, "{:.1f}"),
    ("many_idle_p50_ratio", "new client's p50 with {idle_many} idle / normal p50", "≤ 1.5 (our threshold)",
     lambda v: v <= 1.5, "{:.2f}"),
]

DOVECOTS = ("dovecot-defaults", "dovecot-high-performance")


def median(values):
    values = [v for v in values if v == v]  # no NaN
    return statistics.median(values) if values else float("nan")


def cell(values):
    values = [v for v in values if v == v]
    if not values:
        return "—"
    fmt = "{:.0f}" if max(values) >= 100 else "{:.3g}" if max(values) < 10 else "{:.1f}"
    text = fmt.format(statistics.median(values))
    if len(values) > 1:
        text += f" ({fmt.format(min(values))}–{fmt.format(max(values))})"
    return text


def table(ctx, figures):
    lines = ["| figure | poplar | Dovecot defaults | Dovecot high-perf | ceiling | poplar vs better Dovecot | "
             "target | met | poplar/ceiling |",
             "|---|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for figure, label, unit, better, target in ROWS:
        p = median(figures.get(figure, "poplar"))
        dovecot = [median(figures.get(figure, d)) for d in DOVECOTS]
        dovecot = [d for d in dovecot if d == d]
        best = (max(dovecot) if better == "high" else min(dovecot)) if dovecot else float("nan")
        ratio = (p / best if better == "high" else best / p) if p and best == best and p == p else float("nan")
        ratio_text = "—" if ratio != ratio else f"{ratio:.2f}x"
        ceiling = median(figures.get(figure, "ceiling"))
        of_ceiling = f"{p / ceiling:.2f}" if ceiling == ceiling and p == p else ""
        met = ""
        if target:
            met = "yes" if ratio == ratio and target[1](ratio) else "**no**"
            verdicts.append((label, target[0], ratio_text, met))
        lines.append(f"| {label} ({unit}) | {cell(figures.get(figure, 'poplar'))} | "
                     f"{cell(figures.get(figure, DOVECOTS[0]))} | {cell(figures.get(figure, DOVECOTS[1]))} | "
                     f"{cell(figures.get(figure, 'ceiling'))} | {ratio_text} | {target[0] if target else ''} | "
                     f"{met} | {of_ceiling} |")

    own = {
        "p99_over_p50_64": median(figures.get("p99_over_p50_64", "poplar")),
        "pipelining_gain": median(figures.get("sessions_64_pipelined", "poplar")) / median(figures.get("sessions_64", "poplar")),
        "retr_big_of_ceiling": median(figures.get("retr_big", "poplar")) / median(figures.get("retr_big", "ceiling")),
        "idle_kib_abs": median(figures.get("idle_kib", "poplar")),
        "many_idle_p50_ratio": median(figures.get("many_idle_p50_ratio", "poplar")),
    }
    lines += ["", "| poplar's own target | value | target | met |", "|---|---|---|---|"]
    for key, label, target, test, fmt in OWN_TARGETS:
        value = own[key]
        met = "—" if value != value else "yes" if test(value) else "**no**"
        label = label.format(idle_many=f"{getattr(ctx, 'many_idle_count', ctx.p['idle_many']):,}")
        lines.append(f"| {label} | {'—' if value != value else fmt.format(value)} | {target} | {met} |")
    held = figures.get("many_idle_held", "poplar")
    extra = [
        "",
        f"- {getattr(ctx, 'many_idle_count', ctx.p['idle_many']):,} idle logged-in connections held by poplar: "
        f"{', '.join(str(int(h)) for h in held) or '—'} per run; a new client's session p50 "
        f"{cell(figures.get('many_idle_p50', 'poplar'))} ms against {cell(figures.get('many_idle_normal_p50', 'poplar'))} ms "
        f"without them; PSS {cell(figures.get('many_idle_kib', 'poplar'))} KiB per connection at that count.",
        f"- Load generator CPU (% of one core) in the 64-client runs: poplar {cell(figures.get('loadgen_cpu_64', 'poplar'))}, "
        f"Dovecot {cell(figures.get('loadgen_cpu_64', DOVECOTS[0]))} / {cell(figures.get('loadgen_cpu_64', DOVECOTS[1]))}"
        f" (of {CORES * 100}% on this machine).",
    ]
    return "\n".join(lines + extra)


def machine_load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def versions(ctx):
    def run(*command):
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"
    commit = run("git", "-C", ROOT, "rev-parse", "--short", "HEAD")
    return f"poplar {commit}, Dovecot {run('dovecot', '--version')}, {run('g++', '--version')}, kernel {platform.release()}"


METHODS = """\
## How each figure is measured

All traffic is on 127.0.0.1; the load generator is `build/release/poplar-loadgen`
(bench/loadgen.cpp), both servers run as the unprivileged account `poplar-bench`
over the same passwd-file (`{{PLAIN}}` unless said) and the same Maildirs
(bench/gen_data.py). Each figure is measured `--repeat` times (3): the table
shows the median and (min–max). Every reply is checked (status, multi-line
terminator, dot-unstuffing, RETR octets = LIST size, LIST sum = STAT); a run
with any error is listed under "Failures" and its figure is not to be trusted.

- **full small sessions/s**: N clients, each running whole sessions back to
  back: connect, greeting, USER, PASS, STAT, UIDL, LIST, RETR of each of the 20
  messages (~4 KiB), QUIT (and the server's close). Client i's k-th session
  uses mailbox i + N·(k mod ⌊U/N⌋), so no two clients share a mailbox. Every
  mailbox had a session before (the priming pass); a warm-up is run first and
  not counted; then sessions ending within the measured window are counted.
  With PIPELINING the client sends USER, PASS, STAT, UIDL, LIST at once, then
  every RETR and QUIT at once (at most 64 commands per batch).
- **server CPU per session**: utime+stime+cutime+cstime of the server's whole
  process tree (/proc/PID/stat of the master and every descendant), sampled
  when the warm-up ends and after the last session, divided by the sessions
  that ended in between.
- **session latency p50/p99**: connect to the +OK of QUIT, over every session
  of the 64-client runs.
- **RETR of 5 MiB messages**: one client, sessions that RETR all of `big`'s
  5 MiB messages; message octets over the run's time (logins included; they
  are under 1 % of it). MB = 10^6 octets.
- **100k Maildir connect→STAT**: one session of login + STAT on `huge`, time
  from connect to the STAT reply. "first": poplar's poplar-* files (size cache,
  records) or Dovecot's index and control directories of that mailbox removed
  just before; "later": the next login. The page cache is warm in both cases.
- **UIDL of all 100k**: the UIDL command alone, sent to terminator, after a login.
- **PSS per idle logged-in connection**: PSS (/proc/PID/smaps_rollup) summed
  over the server's processes, before and while K sessions are logged in and
  idle (after STAT), (PSS_K − PSS_0)/K. K = {idle_poplar} for poplar and
  {idle_dovecot} for Dovecot (each of its sessions is a process).
- **10,000 idle connections** (poplar only): one client runs {probe} full
  sessions one after another, then {idle_many} sessions log in and idle, and
  the client runs {probe} more; the p50 of the second set over the first.
  (With one client, each session is ~25 round trips between two processes:
  its latency depends on how the scheduler places them, and varies from run
  to run by up to 2-3x on a busy 2-core machine. The ratio is taken within
  one run for that reason.)
- **SHA512-CRYPT**: the 8-client figure again with every server restarted on
  the same users with `{{SHA512-CRYPT}}` secrets (5000 rounds).
- **ceilings**: single-stream loopback TCP (one thread writes 128 KiB blocks,
  one reads) and a trivial server in the load generator whose threads accept,
  send "+OK\\r\\n" and close, driven by 64 clients like the POP3 figures.
- Dovecot "defaults" is Debian's shipped service configuration
  (`service_count = 1` for pop3-login, a process per session); "high-performance"
  adds `service pop3-login {{ service_count = 0; process_min_avail = {cores} }}`
  and `service pop3 {{ service_count = 1000; process_min_avail = {cores} }}`.
  Both have `service pop3 {{ process_limit = 1024 }}` (default 100) for the idle
  figure. poplar runs with its defaults (`workers = 0`: one event loop per
  core) but `auth_failure_delay = 0s` and connection limits raised.
"""


def write_results(ctx, figures, started, load_before, load_after, elapsed):
    text = table(ctx, figures)
    quick = " (QUICK mode: small counts, not a result)" if ctx.quick else ""
    failures = "\n".join(f"- {f}" for f in ctx.failures) or "none: every reply of every run checked out."
    notes = "\n".join(f"- {n}" for n in dict.fromkeys(ctx.notes)) or "none."
    document = f"""# poplar vs Dovecot: benchmark results{quick}

Written by `{ctx.command}` on {started:%Y-%m-%d %H:%M} UTC, in {elapsed / 60:.1f} minutes.

- Machine: {CORES} cores, {platform.machine()}, {versions(ctx)}.
- Load average (1, 5, 15 min) before: {load_before}; after: {load_after}.
  {"Other work was running on the machine: figures are noisy." if float(load_before.split()[0]) > 0.5 else ""}
- Data: {ctx.p['users']} users × {ctx.p['messages']} messages of ~4 KiB; `huge`: {ctx.p['huge_messages']:,} messages;
  `big`: {ctx.p['big_messages']} × 5 MiB; {ctx.p['idle_users']:,} idle-test users. Runs of {ctx.p['duration']} s
  after {ctx.p['warmup']} s of warm-up.

Ratios: poplar over the better of the two Dovecot modes for each figure
(for times, CPU and memory, Dovecot's over poplar's: above 1 means poplar is
better). Targets are issue 5's.

{text}

## Failures

{failures}

## Notes

- Servers' descriptor limit (RLIMIT_NOFILE): {nofile_limit()}.
{notes}

{METHODS.format(idle_poplar=ctx.p['idle_poplar'], idle_dovecot=ctx.p['idle_dovecot'],
                idle_many=f"{ctx.p['idle_many']:,}", probe=ctx.p['probe_sessions'], cores=CORES)}"""
    with open(ctx.results, "w") as f:
        f.write(document)
    with open(os.path.join(ctx.data, "raw-results.json"), "w") as f:
        json.dump({"figures": figures.values, "runs": ctx.raw}, f, indent=1)
    print(text)
    log(f"wrote {ctx.results}")


class Context:
    pass


def interrupt(*_):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1",
                        help="small counts, to check the whole pipeline in a few minutes (also BENCH_QUICK=1)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--poplar", default=os.path.join(ROOT, "build/release/poplar"))
    parser.add_argument("--loadgen", default=os.path.join(ROOT, "build/release/poplar-loadgen"))
    parser.add_argument("--data", help="data directory (default bench/data, bench/data-quick with --quick)")
    parser.add_argument("--results", help="where to write the table (default bench/RESULTS.md; "
                                          "with --quick, RESULTS.md in the data directory)")
    args = parser.parse_args()

    if os.geteuid() != 0:
        sys.exit("bench: run as root (Dovecot's master must start as root; both servers then run as poplar-bench)")
    ctx = Context()
    ctx.quick = args.quick
    ctx.p = PROFILES["quick" if args.quick else "full"]
    ctx.repeat = max(1, args.repeat)
    ctx.poplar, ctx.loadgen = os.path.abspath(args.poplar), os.path.abspath(args.loadgen)
    ctx.data = os.path.abspath(args.data or os.path.join(BENCH, ctx.p["data"]))
    ctx.results = os.path.abspath(args.results or (os.path.join(ctx.data, "RESULTS.md") if args.quick
                                                   else os.path.join(BENCH, "RESULTS.md")))
    ctx.command = "make bench-quick" if args.quick else "make bench"
    ctx.raw, ctx.failures, ctx.cleanup, ctx.notes = [], [], [], []
    for binary in (ctx.poplar, ctx.loadgen):
        if not os.access(binary, os.X_OK):
            sys.exit(f"bench: {binary} is missing: build with -DPOPLAR_BENCH=ON (make bench does)")

    subprocess.run([sys.executable, os.path.join(BENCH, "gen_data.py"), "--data", ctx.data,
                    "--users", str(ctx.p["users"]), "--messages", str(ctx.p["messages"]),
                    "--idle-users", str(ctx.p["idle_users"]), "--huge-messages", str(ctx.p["huge_messages"]),
                    "--big-messages", str(ctx.p["big_messages"]), "--owner", OWNER], check=True)

    # SIGTERM as Ctrl-C: the finally blocks stop the servers.
    signal.signal(signal.SIGTERM, interrupt)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = machine_load()
    t0 = time.monotonic()
    figures = Figures()
    plain = os.path.join(ctx.data, "users-plain")
    sha512 = os.path.join(ctx.data, "users-sha512")
    servers = [
        ("poplar", lambda pw, label: start_poplar(ctx, pw, label)),
        (DOVECOTS[0], lambda pw, label: start_dovecot(ctx, "defaults", pw, label)),
        (DOVECOTS[1], lambda pw, label: start_dovecot(ctx, "high-performance", pw, label)),
    ]
    try:
        measure_ceilings(ctx, figures)
        for key, start in servers:
            log(f"starting {key}")
            current = [start(plain, key)]

            def restart():
                current[0].stop()
                current[0] = start(plain, key)
                return current[0]
            try:
                measure_server(ctx, current[0], figures, key, restart)
                if key == "poplar":
                    measure_many_idle(ctx, figures, restart)
            finally:
                current[0].stop()
        for key, start in servers:
            log(f"starting {key} with SHA512-CRYPT passwords")
            server = start(sha512, key + "-sha512")
            try:
                measure_sha512(ctx, server, figures, key)
            finally:
                server.stop()
    except KeyboardInterrupt:
        sys.exit("bench: interrupted; servers stopped")
    finally:
        for path in ctx.cleanup:
            shutil.rmtree(path, ignore_errors=True)
    write_results(ctx, figures, started, load_before, machine_load(), time.monotonic() - t0)
    if ctx.failures:
        log(f"{len(ctx.failures)} runs had errors: the table is not to be trusted (see Failures)")
        sys.exit(1)


if __name__ == "__main__":
    main()
