#!/usr/bin/env python3
"""Runs every benchmark contender against the same loadgen workloads and writes docs/benchmarks.md.

    python3 bench/run.py [--build] [--build-dir build-bench] [--runs 3] [--duration 1.0]

Contenders: examples/echo_server in every --mode (TCP and --udp; `async` with --threads 1,
and unpinned also with --threads 2), Python's own socketserver.ThreadingTCPServer and
ForkingTCPServer (bench/py_*_echo.py) and the raw-Asio reference bench/asio_echo (one
thread, and unpinned also two). Each is started on 127.0.0.1 port 0 and driven by
bench/loadgen, in two placements: pinned (server on CPU 0, loadgen on CPU 1, with taskset)
and unpinned. loadgen also reads the server's CPU time over each measured window (--pid),
so every cell has its CPU microseconds per operation. Pingpong runs with 1,000 and 10,000
connections too (each its own server; contenders that cannot hold them are skipped with
the reason in the report), and idle connections are held 1,000 and 10,000 at a time.
Repetitions are interleaved (run 1 of every contender, then run 2, ...) so that background
load drifts over all contenders alike; the tables hold medians. When examples/file_server
and file_client are built, a 1 GiB file transfer is compared with `cat FILE > /dev/null`.

TLS rows (`--workloads tls` runs only them): every echo_server mode with --tls-cert/--tls-key
and the raw-Asio TLS reference bench/asio_tls_echo (the library's OpenSSL settings over
asio::ssl::stream), driven by `loadgen --tls --tls-ca CA`: pingpong 16 × 16 KiB and full TLS 1.3
handshakes per second (connrate: connect, handshake, one 64-byte echo, close). The
certificates (EC P-256) are made once by test/tls/make_certificates in BUILD_DIR/bench-tls.

Standard library only. Every server runs in its own session and is killed with its whole
process group at the end of its turn; every loadgen run is bounded in time.
"""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
MAX_CHILDREN = 128  # forking servers, ours and Python's: more than the 64 pingpong connections
POOL_WORKERS = 64   # pool mode's workers (see the notes in the doc)

TCP_WORKLOADS = [
    # key, title, loadgen arguments, metric, unit
    ("pp16", "pingpong 16 conn × 64 B", ["pingpong", "-c", "16", "-s", "64"], "rate", "req/s"),
    ("pp64", "pingpong 64 conn × 64 B", ["pingpong", "-c", "64", "-s", "64"], "rate", "req/s"),
    ("pp16k", "pingpong 16 conn × 16 KiB", ["pingpong", "-c", "16", "-s", "16384"], "mbps", "MB/s"),
    ("conn8", "connrate 8 workers × 64 B", ["connrate", "-c", "8", "-s", "64"], "rate", "conn/s"),
    ("conn8c", "connrate 8 × 64 B, read until close", ["connrate", "-c", "8", "-s", "64", "--read-until-close"], "rate", "conn/s"),
    ("bulk", "bulk 1 conn × 64 KiB chunks (echoed)", ["bulk", "-c", "1", "-s", "65536"], "mbps", "MB/s"),
]
UDP_WORKLOADS = [("udp16", "udp 16 sockets × 64 B", ["udp", "-c", "16", "-s", "64"], "rate", "dgram/s")]
# Over TLS (loadgen --tls, with --tls-ca added when run): the same pingpong as pp16k, and
# conn8 with a full TLS 1.3 handshake per connection (never resumed).
TLS_WORKLOADS = [
    ("pp16k-tls", "pingpong 16 × 16 KiB over TLS", ["pingpong", "-c", "16", "-s", "16384", "--tls"], "mbps", "MB/s"),
    ("conn8-tls", "TLS handshakes per second", ["connrate", "-c", "8", "-s", "64", "--tls"], "rate", "handshakes/s"),
]
TLS_KEYS = [k for k, *_ in TLS_WORKLOADS]
# Many connections: each cell its own server (forking and pool are sized to the connections).
MANY_WORKLOADS = [
    ("pp1k", "pingpong 1,000 conn × 64 B", ["pingpong", "-c", "1000", "-s", "64"], "rate", "req/s"),
    ("pp10k", "pingpong 10,000 conn × 64 B", ["pingpong", "-c", "10000", "-s", "64"], "rate", "req/s"),
]
MANY_CONNECTIONS = {"pp1k": 1000, "pp10k": 10000}
# loadgen's clock starts when its connects complete, while a server may still be accepting
# (and starting threads or processes): the many-connection rows warm up at least this long.
# (echo_server --mode threading, pinned, took about a second to start 1,000 threads while
# serving, with 500 connections still in the listen queue after 0.3 s.)
MANY_WARMUP = 2.0
# A round trip of 10,000 connections takes about 0.3 s at 35k requests/s: the window is at
# least a second, so that a connection with no request in it (stalled) is the server's doing.
MANY_DURATION = 1.0
MANY_IO_TIMEOUT = 30  # seconds for 10,000 connects (or idle pings) to complete
IDLE_COUNTS = [1000, 10000]
ALL_WORKLOADS = TCP_WORKLOADS + MANY_WORKLOADS + UDP_WORKLOADS + TLS_WORKLOADS
# The rows: `--mode async` against raw Asio, with one thread and with two.
ASYNC_ROWS = "async,asio,async-t2,asio-t2"
UNPINNED_ONLY = {"async-t2", "asio-t2"}  # two threads: placed by the scheduler only
ECHO_LIMIT = 1024  # echo_server's --workers and --max-children are at most this


# The example servers' safety defaults (--max-connections 256, --reply-rate 100 a second per
# source address) would cap the idle row at 256 connections and the UDP rows, whose 16
# sockets share 127.0.0.1, at 100 datagrams a second: the benchmark measures the server's
# speed, so it turns both off, as a deployment sized for the load would.
UNCAPPED = ["--max-connections", "0"]
UNLIMITED_REPLIES = ["--reply-rate", "0"]
IDLE_TIMEOUT = ["--timeout", "60"]  # longer than the 10,000-connection idle rows take


def tls_certificates(build):
    """The server certificate, its key and the CA that signed it, made once in BUILD/bench-tls."""
    where = build / "bench-tls"
    names = [where / n for n in ("server.pem", "server.key", "ca.pem")]
    if not all(n.exists() for n in names):
        subprocess.run([str(ROOT / "test" / "tls" / "make_certificates"), str(where)], check=True)
    return names


def contenders(build):
    echo = str(build / "examples" / "echo_server")
    asio = str(build / "bench" / "asio_echo")
    asio_tls = str(build / "bench" / "asio_tls_echo")
    cert, key, _ca = (build / "bench-tls" / n for n in ("server.pem", "server.key", "ca.pem"))
    tls_files = ["--tls-cert", str(cert), "--tls-key", str(key)]
    tcp = [
        ("sync", [echo, "--port", "0", "--mode", "sync", *UNCAPPED]),
        ("async", [echo, "--port", "0", "--mode", "async", "--threads", "1", *UNCAPPED]),
        ("threading", [echo, "--port", "0", "--mode", "threading", *UNCAPPED]),
        ("forking", [echo, "--port", "0", "--mode", "forking", "--max-children", str(MAX_CHILDREN), *UNCAPPED]),
        ("pool", [echo, "--port", "0", "--mode", "pool", "--workers", str(POOL_WORKERS), *UNCAPPED]),
        ("py-threading", [PYTHON, str(ROOT / "bench" / "py_threading_echo.py"), "--port", "0"]),
        ("py-forking", [PYTHON, str(ROOT / "bench" / "py_forking_echo.py"), "--port", "0", "--max-children", str(MAX_CHILDREN)]),
        ("asio", [asio, "--port", "0"]),
        ("async-t2", [echo, "--port", "0", "--mode", "async", "--threads", "2", *UNCAPPED]),
        ("asio-t2", [asio, "--port", "0", "--threads", "2"]),
    ]
    udp = [
        ("udp sync", [echo, "--port", "0", "--udp", "--mode", "sync", *UNLIMITED_REPLIES]),
        ("udp threading", [echo, "--port", "0", "--udp", "--mode", "threading", *UNLIMITED_REPLIES]),
        ("udp forking", [echo, "--port", "0", "--udp", "--mode", "forking", "--max-children", str(MAX_CHILDREN), *UNLIMITED_REPLIES]),
        ("udp pool", [echo, "--port", "0", "--udp", "--mode", "pool", "--workers", str(POOL_WORKERS), *UNLIMITED_REPLIES]),
        ("udp asio", [asio, "--port", "0", "--udp"]),
    ]
    idle = [
        ("sync", [echo, "--port", "0", "--mode", "sync", *IDLE_TIMEOUT, *UNCAPPED], []),
        ("async", [echo, "--port", "0", "--mode", "async", "--threads", "1", *IDLE_TIMEOUT, *UNCAPPED], []),
        ("threading", [echo, "--port", "0", "--mode", "threading", *IDLE_TIMEOUT, *UNCAPPED], []),
        ("threading, never sent", [echo, "--port", "0", "--mode", "threading", *IDLE_TIMEOUT, *UNCAPPED], ["--no-ping"]),
        ("pool", [echo, "--port", "0", "--mode", "pool", "--workers", str(POOL_WORKERS), *IDLE_TIMEOUT, *UNCAPPED], ["--no-ping"]),
        ("py-threading", [PYTHON, str(ROOT / "bench" / "py_threading_echo.py"), "--port", "0"], []),
        ("asio", [asio, "--port", "0"], []),
    ]
    # Over TLS: every mode (pinned and unpinned alike), and the raw-Asio TLS reference.
    tls = [
        ("tls sync", [echo, "--port", "0", "--mode", "sync", *UNCAPPED, *tls_files]),
        ("tls async", [echo, "--port", "0", "--mode", "async", "--threads", "1", *UNCAPPED, *tls_files]),
        ("tls threading", [echo, "--port", "0", "--mode", "threading", *UNCAPPED, *tls_files]),
        ("tls forking", [echo, "--port", "0", "--mode", "forking", "--max-children", str(MAX_CHILDREN), *UNCAPPED,
                         *tls_files]),
        ("tls pool", [echo, "--port", "0", "--mode", "pool", "--workers", str(POOL_WORKERS), *UNCAPPED, *tls_files]),
        ("tls asio", [asio_tls, "--port", "0", *tls_files]),
    ]
    return tcp, udp, idle, tls


def with_option(argv, option, value):
    """@p argv with the value after @p option replaced."""
    i = argv.index(option)
    return argv[:i + 1] + [str(value)] + argv[i + 2:]


# What `sync` cannot be measured on: it serves one connection at a time, to its end (Python's
# TCPServer), so of N pingpong or idle connections all but one would wait in the backlog.
ONE_AT_A_TIME = {"sync"}
ONE_AT_A_TIME_WHY = ("it serves one connection at a time, to its end, as Python's TCPServer does: every "
                     "connection but the first would wait in the listen backlog for the whole run")


def one_at_a_time_skips(name, workload_key):
    """Why @p name is not run at @p workload_key (several connections open at once), or None."""
    several = workload_key.startswith("pp") or workload_key.startswith("idle")
    return ONE_AT_A_TIME_WHY if name.removeprefix("tls ") in ONE_AT_A_TIME and several else None


def scaled(name, argv, connections):
    """The server command for a pingpong of @p connections, or None and why it is skipped."""
    if why := one_at_a_time_skips(name, "pp"):
        return None, why
    if name == "forking":
        if connections > ECHO_LIMIT:
            return None, f"a process per connection, and echo_server's --max-children is at most {ECHO_LIMIT}"
        return with_option(argv, "--max-children", connections), None
    if name == "py-forking":
        if connections > ECHO_LIMIT:
            # Measured with loadgen idle against 200 children: about 0.9 MiB PSS each.
            return None, (f"a process per connection, like `forking` (which echo_server caps at {ECHO_LIMIT}); "
                          f"each Python child holds about 0.9 MiB of its own memory (PSS), so {connections:,} "
                          f"would take about {connections * 0.9 / 1024:.0f} GiB and {connections:,} processes: not run")
        return with_option(argv, "--max-children", connections), None
    return argv, None


def runs_in(name, placement):
    return placement == "unpinned" or name not in UNPINNED_ONLY


def taskset(cpu):
    return ["taskset", "-c", str(cpu)] if cpu is not None else []


def log(message):
    print(message, file=sys.stderr, flush=True)


class Server:
    """A contender in its own session; its first stdout line names the port."""

    def __init__(self, argv, cpu, logdir):
        self.argv = taskset(cpu) + argv
        self.out = tempfile.NamedTemporaryFile("w+", dir=logdir, prefix="server-", suffix=".out", delete=False)
        self.err = tempfile.NamedTemporaryFile("w+", dir=logdir, prefix="server-", suffix=".err", delete=False)
        self.proc = subprocess.Popen(self.argv, stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        self.pid = self.proc.pid  # taskset execs the server: same pid
        deadline = time.monotonic() + 10
        while True:
            text = Path(self.out.name).read_text()
            match = re.search(r"listening on \S*:(\d+)", text)
            if match:
                self.port = int(match.group(1))
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{shlex.join(self.argv)} did not start: {Path(self.err.name).read_text()[-500:]}")
            time.sleep(0.02)

    def stop(self):
        for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 3)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(wait)
                # Children (forking mode) share the group: make sure they are gone too.
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        self.proc.wait()
        errors = Path(self.err.name).read_text()
        for f in (self.out, self.err):
            f.close()
            os.unlink(f.name)
        return errors


def run_loadgen(loadgen, args, server, cpu, duration, warmup, extra=(), io_timeout=None):
    """One bounded loadgen run against @p server; its JSON and the command with PORT and PID."""
    cmd = taskset(cpu) + [str(loadgen)] + args + ["--port", str(server.port), "--pid", str(server.pid),
                                                  "--duration", str(duration), "--warmup", str(warmup)]
    if io_timeout is not None:
        cmd += ["--io-timeout", str(io_timeout)]
    cmd += list(extra)
    shown = [{str(server.port): "PORT", str(server.pid): "PID"}.get(c, c) for c in cmd]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + warmup + (io_timeout or 5) * 2 + 30)
    except subprocess.TimeoutExpired:
        return {"errors": 1, "error_samples": ["loadgen timed out"], "rate": 0, "mbps": 0}, shown
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"errors": 1, "error_samples": [f"loadgen failed: {done.stderr.strip()[-300:]}"], "rate": 0, "mbps": 0}, shown
    return json.loads(lines[-1]), shown


def rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def file_transfer(build, cpu_server, cpu_client, runs, logdir):
    """1 GiB through file_server -> file_client, against `cat FILE > /dev/null`."""
    server_bin, client_bin = build / "examples" / "file_server", build / "examples" / "file_client"
    if not (server_bin.exists() and client_bin.exists()):
        return {"status": "pending", "why": "examples/file_server and file_client are not built"}
    data = build / "bench-data"
    data.mkdir(exist_ok=True)
    path = data / "file-1GiB.bin"
    size = 1 << 30
    if not path.exists() or path.stat().st_size != size:
        block = os.urandom(1 << 20)
        with open(path, "wb") as f:
            for _ in range(size >> 20):
                f.write(block)
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # into the page cache
    result = {"status": "measured", "cat_mbps": [], "runs": [], "cat_cmd": f"cat {path} > /dev/null",
              "server_cmd": shlex.join([str(server_bin), "--port", "0", "--file", str(path)]),
              "client_cmd": shlex.join([str(client_bin), "--port", "PORT", "--out", "/dev/null"])}
    # A transfer takes a few tenths of a second, so 5 runs at least; cat and the transfer
    # alternate, so both see the same machine.
    for _ in range(max(runs, 5)):
        start = time.monotonic()
        subprocess.run(f"cat {shlex.quote(str(path))} > /dev/null", shell=True, check=True)
        result["cat_mbps"].append(size / (time.monotonic() - start) / 1e6)
        result["runs"].append(time_transfer(server_bin, client_bin, path, size, cpu_server, cpu_client, logdir))
    return result


def time_transfer(server_bin, client_bin, path, size, cpu_server, cpu_client, logdir):
    """One file_server -> file_client transfer: MB/s and the server's peak RSS."""
    server = Server([str(server_bin), "--port", "0", "--file", str(path)], cpu_server, logdir)
    base = rss_kib(server.pid)
    cmd = taskset(cpu_client) + [str(client_bin), "--port", str(server.port), "--out", "/dev/null"]
    # The server's memory is sampled on a thread, so the transfer's end is seen at once
    # (a polling loop here would add up to its sleep to a transfer of a few tenths of a second).
    peak = [base]
    done = threading.Event()

    def sample_rss():
        while not done.wait(0.01):
            peak[0] = max(peak[0], rss_kib(server.pid))

    sampler = threading.Thread(target=sample_rss)
    start = time.monotonic()
    client = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler.start()
    try:
        out, err = client.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        client.kill()
        out, err = client.communicate()
    elapsed = time.monotonic() - start
    done.set()
    sampler.join()
    server.stop()
    match = re.search(r"received (\d+) bytes", out)
    received = int(match.group(1)) if match else 0
    return {"mbps": received / elapsed / 1e6, "ok": received == size, "rss_base_kib": base,
            "rss_peak_kib": peak[0], "error": err.strip()[-200:]}


def machine_info():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    python = subprocess.run([PYTHON, "--version"], capture_output=True, text=True).stdout.strip()
    gxx = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(), "python": python, "gxx": gxx}


def load_snapshot():
    loadavg = Path("/proc/loadavg").read_text().split()[:3]
    top = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"], capture_output=True,
                         text=True).stdout.splitlines()[:5]
    return {"loadavg": " ".join(loadavg), "top": [" ".join(line.split()) for line in top]}


def cpu_busy_fraction(interval=1.0):
    def sample():
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle
    total0, idle0 = sample()
    time.sleep(interval)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def median(values):
    return statistics.median(values) if values else 0.0


def fmt(value, unit):
    if unit == "µs":
        return f"{value:,.2f}"
    if unit == "MB/s":
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    return f"{value / 1000:,.1f}k" if value >= 10000 else f"{value:,.0f}"


EPILOG = f"""\
contenders (--only): {", ".join(["sync", "async", "threading", "forking", "pool", "py-threading", "py-forking",
                                  "asio", "async-t2", "asio-t2", "udp sync", "udp threading", "udp forking",
                                  "udp pool", "udp asio", "tls sync", "tls async", "tls threading",
                                  "tls forking", "tls pool", "tls asio"])}
  (async-t2 and asio-t2 run unpinned only; the idle rows take the TCP names, threading
  its "threading, never sent" row too; `tls` stands for every tls contender)
workloads (--workloads): {", ".join(k for k, *_ in ALL_WORKLOADS)}, {", ".join(f"idle{n // 1000}k" for n in IDLE_COUNTS)}
  (`tls` stands for {", ".join(TLS_KEYS)})

the full run, as docs/benchmarks.md is made (on a quiet machine; estimated at about 20 minutes
on 2 cores from short runs of its parts):
  python3 bench/run.py --build-dir build

only the rows of `--mode async` against raw Asio (every workload, both
placements; the other targets show "not measured"):
  python3 bench/run.py --build-dir build --only {ASYNC_ROWS} --no-file

a quick check of a few cells (not results: one short run each):
  python3 bench/run.py --build-dir build --only async,asio --workloads pp16,pp10k,idle10k \\
      --runs 1 --duration 0.3 --placements pinned --no-file

only the TLS rows (every mode over TLS and the raw-Asio TLS echo; the TLS targets):
  python3 bench/run.py --build-dir build --workloads tls --no-file

A run with --only or --workloads writes BUILD_DIR/benchmarks-subset.md unless --output is
given, so that docs/benchmarks.md only ever holds a full run.
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=str(ROOT / "build-bench"))
    parser.add_argument("--build", action="store_true", help="configure (if needed) and build the targets first")
    parser.add_argument("--runs", type=int, default=3, help="repetitions per cell (median taken)")
    parser.add_argument("--duration", type=float, default=1.0, help="measured seconds per loadgen run")
    parser.add_argument("--warmup", type=float, default=0.25,
                        help=f"seconds before measuring (the many-connection rows: at least {MANY_WARMUP})")
    parser.add_argument("--placements", default="pinned,unpinned")
    parser.add_argument("--only", default="", help="comma-separated contenders to run (see below)")
    parser.add_argument("--workloads", default="", help="comma-separated workloads to run (see below)")
    parser.add_argument("--no-file", action="store_true", help="skip the 1 GiB file transfer")
    parser.add_argument("--output", default=None,
                        help="the report (default: docs/benchmarks.md; BUILD_DIR/benchmarks-subset.md with --only "
                             "or --workloads)")
    args = parser.parse_args()
    build = Path(args.build_dir).resolve()
    subset = bool(args.only or args.workloads)
    if args.output is None:
        args.output = str(build / "benchmarks-subset.md") if subset else str(ROOT / "docs" / "benchmarks.md")
    known = {k for k, *_ in ALL_WORKLOADS} | {f"idle{n // 1000}k" for n in IDLE_COUNTS}
    wanted_workloads = set(args.workloads.split(",")) if args.workloads else known
    if "tls" in wanted_workloads:
        wanted_workloads = (wanted_workloads - {"tls"}) | set(TLS_KEYS)
    if wanted_workloads - known:
        sys.exit(f"run.py: unknown workloads: {', '.join(sorted(wanted_workloads - known))} (known: {', '.join(sorted(known))})")

    if args.build:
        if not (build / "CMakeCache.txt").exists():
            subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DSOCKETSERVER_BUILD_TESTS=OFF"], check=True)
        targets = ["loadgen", "asio_echo", "asio_tls_echo", "echo_server"]
        if (ROOT / "examples" / "file_server.cpp").exists():
            targets += ["file_server", "file_client"]
        subprocess.run(["cmake", "--build", str(build), "-j2", "--target", *targets], check=True)
    loadgen = build / "bench" / "loadgen"
    tls_wanted = bool(wanted_workloads & set(TLS_KEYS))
    for needed in (loadgen, build / "bench" / "asio_echo", build / "examples" / "echo_server") + (
            (build / "bench" / "asio_tls_echo",) if tls_wanted else ()):
        if not needed.exists():
            sys.exit(f"run.py: {needed} is missing: build it first (or pass --build)")
    # 10,000 connections need 10,000 descriptors on each side: every contender (and loadgen,
    # which checks for itself) inherits the soft limit raised to the hard one.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    most = max(IDLE_COUNTS + list(MANY_CONNECTIONS.values()))
    if nofile != resource.RLIM_INFINITY and nofile < most + 64:
        log(f"run.py: RLIMIT_NOFILE is {nofile}, too few for {most:,} connections: those rows will fail "
            f"(raise the hard limit: ulimit -Hn, as root)")

    started = time.monotonic()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_info()
    load_before = load_snapshot()
    busy_before = cpu_busy_fraction()
    pinned_ok = (os.cpu_count() or 1) >= 2
    placements = [p for p in args.placements.split(",") if p in ("pinned", "unpinned")]
    if not pinned_ok:
        placements = ["unpinned"]
    cpus = {"pinned": (0, 1), "unpinned": (None, None)}
    tcp, udp, idle, tls = contenders(build)
    tls_ca = tls_certificates(build)[2] if tls_wanted else None
    if args.only:
        wanted = set(args.only.split(","))
        if "tls" in wanted:
            wanted = (wanted - {"tls"}) | {c[0] for c in tls}
        names = {c[0] for c in tcp + udp + tls} | {c[0].split(",")[0] for c in idle}
        if wanted - names:
            sys.exit(f"run.py: unknown contenders: {', '.join(sorted(wanted - names))} (known: {', '.join(sorted(names))})")
        tcp = [c for c in tcp if c[0] in wanted]
        udp = [c for c in udp if c[0] in wanted]
        tls = [c for c in tls if c[0] in wanted]
        idle = [c for c in idle if c[0].split(',')[0] in wanted]  # threading: its never-sent row too
    logdir = tempfile.mkdtemp(prefix="socketserver-bench-")

    results = {}          # (placement, contender, workload) -> [json, ...]
    commands = {}         # workload -> a loadgen command line (with PORT and PID)
    server_errors = {}    # contender -> stderr lines
    skipped = {}          # (contender, workload) -> why it was not run
    for group, workloads in ((tcp, TCP_WORKLOADS), (tls, TLS_WORKLOADS)):
        for name, _argv in group:
            for workload in workloads:
                if workload[0] in wanted_workloads and (why := one_at_a_time_skips(name, workload[0])):
                    skipped[(name, workload[0])] = why
    for count in IDLE_COUNTS:
        for name, _argv, _extra in idle:
            key = f"idle{count // 1000}k"
            if key in wanted_workloads and (why := one_at_a_time_skips(name, key)):
                skipped[(name, key)] = why
    groups = [(tcp, [w for w in TCP_WORKLOADS if w[0] in wanted_workloads]),
              (udp, [w for w in UDP_WORKLOADS if w[0] in wanted_workloads]),
              (tls, [w for w in TLS_WORKLOADS if w[0] in wanted_workloads])]
    many = [w for w in MANY_WORKLOADS if w[0] in wanted_workloads]
    idle_counts = [n for n in IDLE_COUNTS if f"idle{n // 1000}k" in wanted_workloads]
    many_cells = []       # (contender, argv, workload) for each placement's many-connection runs
    for name, argv in tcp:
        for workload in many:
            scaled_argv, why = scaled(name, argv, MANY_CONNECTIONS[workload[0]])
            if why:
                skipped[(name, workload[0])] = why
                log(f"run.py: skipping {name} at {workload[1]}: {why}")
            else:
                many_cells.append((name, scaled_argv, workload))
    total_runs = args.runs * sum(
        sum(runs_in(name, p) for name, _argv in c) * len(w) for p in placements for c, w in groups) + args.runs * sum(
        runs_in(name, p) for p in placements for name, _a, _w in many_cells)
    log(f"run.py: {total_runs} loadgen runs of {args.warmup}+{args.duration} s (many connections: "
        f"{max(args.warmup, MANY_WARMUP)}+{max(args.duration, MANY_DURATION)} s and the connects), "
        "plus idle and file transfer")
    done_runs = 0

    def record(placement, rep, name, server, workload, data, cmd):
        nonlocal done_runs
        key, _title, _args, metric, unit = workload
        commands[key] = shlex.join(cmd).replace(str(build) + "/", "")
        results.setdefault((placement, name, key), []).append(data)
        done_runs += 1
        flag = f"  ERRORS {data.get('errors')}: {data.get('error_samples')}" if data.get("errors") else ""
        stalled = data.get("stalled_connections", 0)
        flag += f"  {stalled:.0f} connections stalled" if stalled else ""
        log(f"[{placement} {rep + 1}/{args.runs} {done_runs}/{total_runs} "
            f"{time.monotonic() - started:5.0f}s] {name:13s} {key:7s} "
            f"{fmt(data.get(metric, 0), unit):>9s} {unit}, server {data.get('server_cpu_us_per_op', 0):6.1f} µs "
            f"CPU/op, busy: server {data.get('server_busy', 0):.2f} loadgen {data.get('loadgen_busy', 0):.2f}{flag}")

    def stop(name, server):
        errors = server.stop()
        if errors.strip():
            server_errors.setdefault(name, []).extend(errors.strip().splitlines())

    for placement in placements:
        server_cpu, client_cpu = cpus[placement]
        for rep in range(args.runs):
            for group, workloads in groups:
                for name, argv in group:
                    if not workloads or not runs_in(name, placement):
                        continue
                    mine = [w for w in workloads if (name, w[0]) not in skipped]
                    if not mine:
                        continue
                    server = Server(argv, server_cpu, logdir)
                    for workload in mine:
                        extra = ["--tls-ca", str(tls_ca)] if "--tls" in workload[2] else []
                        data, cmd = run_loadgen(loadgen, workload[2], server, client_cpu, args.duration, args.warmup,
                                                extra)
                        record(placement, rep, name, server, workload, data, cmd)
                    stop(name, server)
            # One server per many-connection cell: forking and pool are sized to its connections.
            for name, argv, workload in many_cells:
                if not runs_in(name, placement):
                    continue
                server = Server(argv, server_cpu, logdir)
                data, cmd = run_loadgen(loadgen, workload[2], server, client_cpu, max(args.duration, MANY_DURATION),
                                        max(args.warmup, MANY_WARMUP), io_timeout=MANY_IO_TIMEOUT)
                record(placement, rep, name, server, workload, data, cmd)
                stop(name, server)

    # Idle connections: memory per connection (pinned placement only; memory does not depend on it).
    idle_results = {}     # (connections, contender) -> [json, ...]
    idle_cpu = cpus[placements[0]]
    for count in idle_counts:
        for rep in range(args.runs):
            for name, argv, extra in idle:
                if (name, f"idle{count // 1000}k") in skipped:
                    continue
                server = Server(argv, idle_cpu[0], logdir)
                data, cmd = run_loadgen(loadgen, ["idle", "-c", str(count)], server, idle_cpu[1], 0.5, 0, extra,
                                        io_timeout=MANY_IO_TIMEOUT if count > 1000 else None)
                commands[f"idle {count} {name}"] = shlex.join(cmd).replace(str(build) + "/", "")
                idle_results.setdefault((count, name), []).append(data)
                log(f"[idle {count} {rep + 1}/{args.runs} {time.monotonic() - started:5.0f}s] {name:21s} "
                    f"{data.get('rss_per_conn_kib', 0):7.1f} KiB/conn, {data.get('connections_open', 0):.0f} open, "
                    f"setup {data.get('setup_seconds', 0):.1f} s, errors {data.get('errors')}"
                    + (f": {data.get('error_samples')}" if data.get("errors") else ""))
                stop(name, server)

    file_result = {"status": "skipped", "why": "--no-file"} if args.no_file else file_transfer(
        build, idle_cpu[0], idle_cpu[1], args.runs, logdir)
    if file_result.get("status") == "measured":
        log(f"[file] cat {median(file_result['cat_mbps']):.0f} MB/s, transfer "
            f"{median([r['mbps'] for r in file_result['runs']]):.0f} MB/s")

    elapsed = time.monotonic() - started
    load_after = load_snapshot()
    raw = build / ("bench-results-subset.json" if subset else "bench-results.json")
    raw.write_text(json.dumps({"date": date, "machine": machine, "elapsed": elapsed,
                               "results": [{"placement": p, "contender": c, "workload": w, "runs": r}
                                           for (p, c, w), r in results.items()],
                               "idle": [{"connections": n, "contender": c, "runs": r}
                                        for (n, c), r in idle_results.items()],
                               "skipped": [{"contender": c, "workload": w, "why": why} for (c, w), why in skipped.items()],
                               "file": file_result}, indent=1))
    doc = render(args, date, machine, load_before, load_after, busy_before, elapsed, placements, tcp, udp, tls,
                 results, commands, idle_results, file_result, server_errors, build, skipped, nofile)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(doc)
    log(f"run.py: wrote {args.output} (raw runs: {raw}) in {elapsed:.0f} s")


def render(args, date, machine, load_before, load_after, busy_before, elapsed, placements, tcp, udp, tls, results,
           commands, idle_results, file_result, server_errors, build, skipped, nofile):
    def runs(placement, contender, key):
        return results.get((placement, contender, key), [])

    def cell(placement, contender, key, metric="rate"):
        return median([r.get(metric, 0) for r in runs(placement, contender, key)])

    def errors(placement, contender, key):
        return sum(r.get("errors", 0) for r in runs(placement, contender, key))

    def stalled(placement, contender, key):
        return max([r.get("stalled_connections", 0) for r in runs(placement, contender, key)], default=0)

    def idle_cell(count, contender, metric="rss_per_conn_kib"):
        return median([r.get(metric, 0) for r in idle_results.get((count, contender), [])])

    def short(text):
        return text.replace(str(build) + "/", "").replace(str(ROOT) + "/", "")

    workload_of = {k: (t, m, u) for k, t, _a, m, u in ALL_WORKLOADS}
    tcp_workloads = TCP_WORKLOADS + MANY_WORKLOADS
    subset = bool(args.only or args.workloads)

    out = []
    w = out.append
    w("# Benchmarks\n")
    w("Generated by `bench/run.py`; do not edit the numbers by hand — rerun the script. "
      "The analysis under *Where the time goes* is kept in `bench/analysis.md` and copied in.\n")
    w("## The run\n")
    if subset:
        w("- **A subset run** (`--only`/`--workloads`): only some contenders or workloads were measured; "
          "targets whose cells are missing show *not measured*.")
    w(f"- Date: {date}; the whole script took {elapsed:.0f} s.")
    w(f"- Machine: {machine['nproc']} CPUs, {machine['cpu']}, Linux {machine['kernel']}; "
      f"{machine['gxx']}; {machine['python']} (Debian's, for the Python contenders).")
    w(f"- Load before the run: load average {load_before['loadavg']}, CPU {busy_before * 100:.0f}% busy "
      f"(1 s sample) — busiest processes: {', '.join(load_before['top'][:3])}.")
    w(f"- Load after the run: load average {load_after['loadavg']}.")
    noisy = busy_before > 0.15 or float(load_before["loadavg"].split()[0]) > 1.0
    if noisy:
        w("- **The machine was not idle** (other work was running on its 2 cores): absolute numbers are "
          "lower and noisier than on a quiet machine. Repetitions are interleaved across contenders, so the "
          "ratios below are fairer than the absolute values, but treat differences under ~15% as noise. "
          "Under such load the scheduler also shares CPU per runnable thread, which favours the "
          "thread-per-connection servers over the single-threaded `asio_echo`; the server CPU time per "
          "operation (*Server CPU per operation*) depends far less on the load and is the better guide.")
    w(f"- {args.runs} run{'s' if args.runs != 1 else ''} per cell, medians shown; each loadgen run warms up {args.warmup} s and measures "
      f"{args.duration} s (the 1,000- and 10,000-connection rows, after their connects, "
      f"{max(args.warmup, MANY_WARMUP)} s and {max(args.duration, MANY_DURATION)} s). Placements: " + ", ".join(
          "pinned = server on CPU 0, loadgen on CPU 1 (`taskset -c 0` / `taskset -c 1`)" if p == "pinned"
          else "unpinned = no affinity, the scheduler places both" for p in placements) + ".")
    w(f"- Descriptors: run.py raises its soft RLIMIT_NOFILE to the hard limit, {nofile}, and every server "
      "and loadgen inherits it (loadgen fails with a message if that is too few for its connections).")
    w("")
    w("## How to reproduce\n")
    w("```sh")
    w("cmake -S . -B build-bench -DSOCKETSERVER_BUILD_TESTS=OFF")
    w("cmake --build build-bench -j2 --target loadgen asio_echo echo_server file_server file_client")
    w("python3 bench/run.py --build-dir build-bench      # or: python3 bench/run.py --build")
    w(f"# only --mode async against raw Asio (writes build-bench/benchmarks-subset.md):")
    w(f"python3 bench/run.py --build-dir build-bench --only {ASYNC_ROWS} --no-file")
    w("# only the TLS rows (writes build-bench/benchmarks-subset.md):")
    w("python3 bench/run.py --build-dir build-bench --workloads tls --no-file")
    w("```\n")
    w("This run: `" + short(shlex.join(["python3", "bench/run.py"] + sys.argv[1:])) + "`\n")
    w("### Contenders (server commands; pinned runs prefix `taskset -c 0`)\n")
    w("| name | command | placements |")
    w("| --- | --- | --- |")
    for name, argv in tcp + udp + tls:
        where = "unpinned only" if name in UNPINNED_ONLY else "both"
        w(f"| {name} | `{short(shlex.join(argv))}` | {where} |")
    w("")
    w(f"`pool` runs with `--workers {POOL_WORKERS}` in every row (its handlers run on fibers and give their "
      "worker back while they wait, so the workers bound the handlers running at once, not the connections "
      f"open). Both forking servers get {MAX_CHILDREN} children (Python's default is 40, fewer "
      "than the 64 pingpong connections). The Python servers use a `SOMAXCONN` backlog like echo_server "
      "(Python's default is 5). `sync` has no concurrency mix-in: as with Python's `TCPServer`, one "
      "thread serves one connection at a time, to its end, and the others wait in the listen backlog "
      "(docs/concurrency.md). `async` serves each connection on a fiber of its event loops; with "
      "`--threads 1` the whole server is one thread, like `asio`. `asio-t2` is `asio_echo --threads 2`: "
      "one io_context per thread, each run by its own thread, the acceptor on the first handing "
      "connections to the two in turn — the layout of `async-t2` (`--mode async --threads 2`). "
      "echo_server's connection cap is off (`--max-connections 0`) in every TCP row.\n")
    w("### The 1,000- and 10,000-connection rows\n")
    w("Each cell starts its own server. Both forking servers get one child per connection "
      "(`--max-children` 1000): a process serves one connection for its whole life; the others "
      "run as listed. A connection that completed no request in the measured window is counted as "
      "*stalled*: a fair server gives each of 10,000 connections a turn every few tenths of a second.\n")
    def title_of(key):
        return workload_of[key][0] if key in workload_of else f"idle, {int(key[4:-1]) * 1000:,} connections"

    by_reason = {}
    for (name, key), why in skipped.items():
        by_reason.setdefault((name, why), []).append(title_of(key))
    for (name, why), titles in by_reason.items():
        w(f"- **{name} is not run at {', '.join(titles)}**: {why}.")
    if skipped:
        w("")
    w("### Workloads (loadgen commands; pinned runs prefix `taskset -c 1`)\n")
    w("| workload | command |")
    w("| --- | --- |")
    for key, title, *_ in ALL_WORKLOADS:
        if key in commands:
            w(f"| {title} | `{commands[key]}` |")
    for key in (k for k in commands if k.startswith("idle ")):
        count, name = key[5:].split(" ", 1)
        w(f"| idle, {int(count):,} connections, {name} | `{commands[key]}` |")
    w("\nEvery echoed byte is compared with what was sent; a cell whose runs saw errors is marked `(E)`, "
      "one where some connections completed no request in the measured window `(N stalled)`. "
      "loadgen reads the server's CPU time (user + system, over its process tree) from /proc just before "
      "and just after each measured window (`--pid`).\n")

    # Targets.
    w("## Targets\n")
    w("| workload | target | measured | ratio | status |")
    w("| --- | --- | --- | --- | --- |")
    status_lines = []

    def target(workload, what, numerator, denominator, needed, num_label, den_label, unit, at_most=False,
               clean=None, note_text=None):
        """One ratio target: numerator / denominator ≥ needed (≤ with at_most); @p clean is the
        text of the errors a target also forbids, with whether there were none."""
        bound = f"{'≤' if at_most else '≥'} {needed}×" + (", no errors" if clean is not None else "")
        if denominator <= 0 or numerator <= 0:
            w(f"| {workload} | {what} {bound} | not measured | – | **not measured** |")
            return
        ratio = numerator / denominator
        met = ratio <= needed if at_most else ratio >= needed
        note = ""
        if clean is not None:
            text, ok = clean
            met = met and ok
            note = f"; {text}"
        if note_text:
            note += f"; {note_text}"
        status_lines.append(met)
        shown = f"{ratio:.3f}" if abs(ratio - needed) < 0.005 else f"{ratio:.2f}"
        w(f"| {workload} | {what} {bound} | {num_label} {fmt(numerator, unit)} vs {den_label} "
          f"{fmt(denominator, unit)} {unit}{note} | {shown}× | {'met' if met else '**not met**'} |")

    def reported(workload, what, numerator, denominator, num_label, den_label, unit):
        """A comparison the issue asks to show, without a bar: not counted as met or not."""
        if denominator <= 0 or numerator <= 0:
            w(f"| {workload} | {what}, reported | not measured | – | not measured |")
            return
        w(f"| {workload} | {what}, reported | {num_label} {fmt(numerator, unit)} vs {den_label} "
          f"{fmt(denominator, unit)} {unit} | {numerator / denominator:.2f}× | reported (no target) |")

    def clean(placement, contender, key):
        e, s = errors(placement, contender, key), stalled(placement, contender, key)
        return f"`{contender}` errors {e}, stalled connections {s:.0f}", e == 0 and s == 0

    # The rows for --mode async (one thread; pinned), then the unpinned two-thread pair.
    if "pinned" in placements:
        target("pingpong 16×64 B, pinned", "`async` / raw Asio", cell("pinned", "async", "pp16"),
               cell("pinned", "asio", "pp16"), 0.95, "async", "asio", "req/s")
        target("pingpong 16×16 KiB, pinned", "`async` / raw Asio (MB/s)", cell("pinned", "async", "pp16k", "mbps"),
               cell("pinned", "asio", "pp16k", "mbps"), 0.95, "async", "asio", "MB/s")
        for key in ("pp1k", "pp10k"):
            target(f"pingpong {MANY_CONNECTIONS[key]:,}×64 B, pinned", "`async` / raw Asio",
                   cell("pinned", "async", key), cell("pinned", "asio", key), 0.9, "async", "asio", "req/s",
                   clean=clean("pinned", "async", key))
        target("connrate 8×64 B, pinned", "`async` / raw Asio", cell("pinned", "async", "conn8"),
               cell("pinned", "asio", "conn8"), 0.9, "async", "asio", "conn/s")
        target("server CPU per request, pingpong 16×64 B, pinned", "`async` / raw Asio",
               cell("pinned", "async", "pp16", "server_cpu_us_per_op"),
               cell("pinned", "asio", "pp16", "server_cpu_us_per_op"), 1.1, "async", "asio", "µs", at_most=True)
    # The TLS rows: against the raw-Asio TLS echo, with how busy each side was (a reference
    # server well under 1 was held back by loadgen, and its rate is then not its best).
    def busy(placement, contender, key):
        return (cell(placement, contender, key, "server_busy"), cell(placement, contender, key, "loadgen_busy"))

    def limit(server_busy, loadgen_busy):
        """What held a cell back, from how busy each side was (medians)."""
        if server_busy >= 0.9:
            return "server"
        if loadgen_busy >= 0.9:
            return "**loadgen**"
        return "neither saturated"

    def busy_text(placement, mine, key):
        (ms, ml), (rs, rl) = busy(placement, mine, key), busy(placement, "tls asio", key)
        return (f"busy: server {ms:.2f} vs {rs:.2f}, loadgen {ml:.2f} vs {rl:.2f}; limit: {limit(ms, ml)} vs "
                f"{limit(rs, rl)}")

    if "pinned" in placements:
        for mode, needed in (("async", 0.9), ("threading", 0.7)):
            for key, metric in (("pp16k-tls", "mbps"), ("conn8-tls", "rate")):
                title, _metric, unit = workload_of[key]
                target(f"{title}, pinned", f"`tls {mode}` / raw Asio TLS", cell("pinned", f"tls {mode}", key, metric),
                       cell("pinned", "tls asio", key, metric), needed, f"tls {mode}", "tls asio", unit,
                       note_text=busy_text("pinned", f"tls {mode}", key) if runs("pinned", "tls asio", key) else None)
        for key in TLS_KEYS:
            title = workload_of[key][0]
            reported(f"{title}, pinned", "server CPU per operation, `tls async` / raw Asio TLS (lower is better)",
                     cell("pinned", "tls async", key, "server_cpu_us_per_op"),
                     cell("pinned", "tls asio", key, "server_cpu_us_per_op"), "tls async", "tls asio", "µs")
    big = max(IDLE_COUNTS)
    if (big, "async") in idle_results:
        per = idle_cell(big, "async")
        open_ = idle_cell(big, "async", "connections_open")
        errs = sum(r.get("errors", 0) for r in idle_results[(big, "async")])
        met = per <= 6 and open_ == big and errs == 0
        status_lines.append(met)
        w(f"| idle, async, {big:,} connections | ≤ 6 KiB server RSS per connection | {per:.2f} KiB; "
          f"{open_:,.0f} open, errors {errs} | {per / 6:.2f}× the limit | {'met' if met else '**not met**'} |")
    else:
        w(f"| idle, async, {big:,} connections | ≤ 6 KiB server RSS per connection | not measured | – | "
          "**not measured** |")
    if "unpinned" in placements:
        for key in ("pp16", "pp16k", "pp1k", "pp10k", "conn8"):
            title, metric, unit = workload_of[key]
            reported(f"{title}, unpinned", "`async-t2` / `asio-t2` (2 threads each)",
                     cell("unpinned", "async-t2", key, metric), cell("unpinned", "asio-t2", key, metric),
                     "async-t2", "asio-t2", unit)
    # The earlier targets.
    if "pinned" in placements:
        for mode in ("threading", "pool"):
            target("pingpong 16×64 B, pinned", f"`{mode}` / Python ThreadingTCPServer", cell("pinned", mode, "pp16"),
                   cell("pinned", "py-threading", "pp16"), 1.05, mode, "py-threading", "req/s")
            target("pingpong 16×64 B, pinned", f"`{mode}` / raw Asio", cell("pinned", mode, "pp16"),
                   cell("pinned", "asio", "pp16"), 0.65, mode, "asio", "req/s")
        target("pingpong 64×64 B, pinned", "`pool` / raw Asio", cell("pinned", "pool", "pp64"),
               cell("pinned", "asio", "pp64"), 0.6, "pool", "asio", "req/s")
        for mode in ("async", "threading", "forking", "pool"):
            target("pingpong 64×64 B, pinned", f"`{mode}` / Python ForkingTCPServer", cell("pinned", mode, "pp64"),
                   cell("pinned", "py-forking", "pp64"), 1.0, mode, "py-forking", "req/s")
        for mode in ("async", "threading", "pool"):
            target("pingpong 16×16 KiB, pinned", f"`{mode}` / raw Asio (MB/s)", cell("pinned", mode, "pp16k", "mbps"),
                   cell("pinned", "asio", "pp16k", "mbps"), 0.7, mode, "asio", "MB/s")
        target("connrate 8×64 B, pinned", "`threading` / Python ThreadingTCPServer", cell("pinned", "threading", "conn8"),
               cell("pinned", "py-threading", "conn8"), 2.0, "threading", "py-threading", "conn/s")
        target("connrate 8×64 B, pinned", "`forking` / Python ForkingTCPServer", cell("pinned", "forking", "conn8"),
               cell("pinned", "py-forking", "conn8"), 2.0, "forking", "py-forking", "conn/s")
        target("connrate 8×64 B, pinned", "`pool` / raw Asio", cell("pinned", "pool", "conn8"),
               cell("pinned", "asio", "conn8"), 0.5, "pool", "asio", "conn/s")
    small = min(IDLE_COUNTS)
    if (small, "threading") in idle_results:
        per = idle_cell(small, "threading")
        met = per <= 16
        status_lines.append(met)
        w(f"| idle, threading, {small:,} connections | ≤ 16 KiB server RSS per connection | "
          f"{per:.1f} KiB | {per / 16:.2f}× the limit | {'met' if met else '**not met**'} |")
    if file_result.get("status") == "measured":
        cat = median(file_result["cat_mbps"])
        transfer = median([r["mbps"] for r in file_result["runs"]])
        growth = max(r["rss_peak_kib"] - r["rss_base_kib"] for r in file_result["runs"])
        ok = all(r["ok"] for r in file_result["runs"])
        met = ok and transfer >= 0.5 * cat and growth < 8 * 1024
        ratio = transfer / cat
        shown = f"{ratio:.3f}" if abs(ratio - 0.5) < 0.005 else f"{ratio:.2f}"
        status_lines.append(met)
        w(f"| file transfer, 1 GiB cached | ≥ 0.5× `cat`, flat server memory | {transfer:,.0f} vs {cat:,.0f} MB/s; "
          f"server RSS +{growth / 1024:.1f} MiB{'' if ok else ' (INCOMPLETE TRANSFER)'} | {shown}× | "
          f"{'met' if met else '**not met**'} |")
    else:
        w(f"| file transfer, 1 GiB cached | ≥ 0.5× `cat`, flat server memory | – | – | "
          f"**pending** ({file_result.get('why', '')}) |")
    w(f"\n{sum(status_lines)} of {len(status_lines)} measured targets met (the *reported* rows have no target "
      "and are not counted). The 1,000- and 10,000-connection targets also need `async` to have seen no "
      "errors and no stalled connection in any run; the idle target all connections open and no errors.\n")

    # Result tables.
    def shown_cell(placement, name, key, metric, unit, value):
        if (name, key) in skipped:
            return "skipped"
        if not runs(placement, name, key):
            return "–"
        mark = " (E)" if errors(placement, name, key) else ""
        n = stalled(placement, name, key)
        return value + mark + (f" ({n:.0f} stalled)" if n else "")

    for placement in placements:
        names = [name for name, _argv in tcp if runs_in(name, placement)]
        w(f"## TCP results, {placement}\n")
        w("| contender | " + " | ".join(f"{title} ({unit})" for _k, title, _a, _m, unit in tcp_workloads) +
          " | pingpong 16×64 B p50 / p99 (µs) |")
        w("| --- | " + " | ".join("---:" for _ in tcp_workloads) + " | ---: |")
        for name in names:
            cells = [shown_cell(placement, name, key, metric, unit, fmt(cell(placement, name, key, metric), unit))
                     for key, _title, _a, metric, unit in tcp_workloads]
            p50 = cell(placement, name, "pp16", "p50_us")
            p99 = cell(placement, name, "pp16", "p99_us")
            w(f"| {name} | " + " | ".join(cells) + f" | {p50:,.0f} / {p99:,.0f} |")
        w("")
    if tls and any(runs(p, name, k) for p in placements for name, _a in tls for k in TLS_KEYS):
        w("## TLS results\n")
        w("Every echo_server mode with `--tls-cert`/`--tls-key`, and the raw-Asio TLS reference "
          "`bench/asio_tls_echo` (asio::ssl::stream with the library's OpenSSL settings: TLS 1.2 minimum, "
          "SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS, read-ahead on; one thread). loadgen "
          "(`--tls --tls-ca`) makes a full TLS 1.3 handshake on every connection (no session is ever "
          "resumed) and verifies the server's certificate (EC P-256, from test/tls/make_certificates). "
          "*Busy* is CPU seconds over the measured window's seconds: the server's (its whole process tree) "
          "and loadgen's own I/O thread's (medians); the targets name the *limit* of each side: the server "
          "(busy ≥ 0.9), loadgen (loadgen ≥ 0.9, the server not), or neither (waits, or other load on "
          "the machine). A full handshake costs loadgen (the client: certificate "
          "decoding and two signature verifications) more CPU than the server, so on one loadgen core "
          "the handshake row cannot saturate a server; compare the servers there by their CPU per "
          "handshake. Both servers set TCP_NODELAY on TLS connections: the echo written after the two TLS 1.3 "
          "session tickets would otherwise wait (Nagle) for the client's delayed ACK, 40 ms a connection "
          "(loadgen also sets TCP_QUICKACK once its request is out, for servers that do not).\n")
        for placement in placements:
            names = [name for name, _argv in tls]
            w(f"### {placement.capitalize()}\n")
            w("| contender | " + " | ".join(f"{title} ({unit}) | server CPU µs/op | busy: server / loadgen"
                                          for _k, title, _a, _m, unit in TLS_WORKLOADS) + " |")
            w("| --- | " + " | ".join("---: | ---: | ---:" for _ in TLS_WORKLOADS) + " |")
            for name in names:
                cells = []
                for key, _title, _a, metric, unit in TLS_WORKLOADS:
                    value = shown_cell(placement, name, key, metric, unit, fmt(cell(placement, name, key, metric), unit))
                    if value in ("skipped", "–"):
                        cells += [value, value, value]
                        continue
                    s_busy, l_busy = busy(placement, name, key)
                    cells += [value, f"{cell(placement, name, key, 'server_cpu_us_per_op'):,.2f}",
                              f"{s_busy:.2f} / {l_busy:.2f}"]
                w(f"| {name} | " + " | ".join(cells) + " |")
            w("")
    w("## Server CPU per operation (µs)\n")
    w("The server's CPU time (user + system, all its threads and processes), which loadgen reads from /proc "
      "as each measured window opens and as it closes, divided by the operations completed in the window "
      "(requests; connections for connrate; echoed reads for bulk); medians. Lower is better. It moves "
      "less with other load than the rates do, but it is no constant: a server kept less busy serves fewer "
      "requests per wakeup and pays more system calls for each. Live threads are read to the nanosecond "
      "(schedstat) in processes of up to 64 threads; bigger processes, threads that have exited and reaped "
      "children to a 10 ms tick per process.\n")
    for placement in placements:
        names = [name for name, _argv in tcp if runs_in(name, placement)]
        w(f"### {placement.capitalize()}\n")
        w("| contender | " + " | ".join(title for _k, title, *_ in tcp_workloads) + " |")
        w("| --- | " + " | ".join("---:" for _ in tcp_workloads) + " |")
        for name in names:
            cells = [shown_cell(placement, name, key, "server_cpu_us_per_op", "µs",
                                f"{cell(placement, name, key, 'server_cpu_us_per_op'):,.2f}")
                     for key, *_ in tcp_workloads]
            w(f"| {name} | " + " | ".join(cells) + " |")
        w("")
    if udp and any(runs(p, name, k) for p in placements for name, _a in udp for k, *_ in UDP_WORKLOADS):
        w("## UDP results\n")
        w("| contender | " + " | ".join(f"{p}: {t} ({u})" for p in placements for _k, t, _a, _m, u in UDP_WORKLOADS) +
          " | lost (pinned) | server CPU µs/datagram (first placement) |")
        w("| --- | " + " | ".join("---:" for _ in placements for _ in UDP_WORKLOADS) + " | ---: | ---: |")
        for name, _argv in udp:
            cells = [fmt(cell(p, name, k, m), u) + (" (E)" if errors(p, name, k) else "")
                     for p in placements for k, _t, _a, m, u in UDP_WORKLOADS]
            lost = median([r.get("lost", 0) for r in runs(placements[0], name, "udp16")])
            w(f"| {name} | " + " | ".join(cells) + f" | {lost:.0f} | "
              f"{cell(placements[0], name, 'udp16', 'server_cpu_us_per_op'):.2f} |")
        w("")
    for count in IDLE_COUNTS:
        names = [name for (n, name) in idle_results if n == count]
        if not names:
            continue
        w(f"## Idle connections ({count:,}, server {'pinned' if placements[0] == 'pinned' else 'unpinned'})\n")
        w("RSS growth of the server process (and its children) between before connecting and after "
          f"{count:,} connections have each echoed one byte (`pool`, `threading, never sent`: not pinged, so "
          "the connections stay parked on the accept loop as idle ones do), divided by the connections.\n")
        w("| contender | RSS per connection (KiB) | PSS per connection (KiB) | connections open | setup (s) | errors |")
        w("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name in names:
            data = idle_results[(count, name)]
            w(f"| {name} | {idle_cell(count, name):.2f} | {idle_cell(count, name, 'pss_per_conn_kib'):.2f} | "
              f"{idle_cell(count, name, 'connections_open'):,.0f} | {idle_cell(count, name, 'setup_seconds'):.1f} | "
              f"{sum(r.get('errors', 0) for r in data)} |")
        w("")
    w("## File transfer (1 GiB, page-cached)\n")
    if file_result.get("status") == "measured":
        w(f"{len(file_result['runs'])} runs, alternating with `cat`; the server sends with sendfile(2) "
          "(`wfile.send_file`), the client receives with splice(2) (`rfile.read_to_file`).\n")
        w(f"- limit: `{short(file_result['cat_cmd'])}` — "
          + ", ".join(f"{v:,.0f}" for v in file_result["cat_mbps"]) + " MB/s")
        w(f"- server: `{short(file_result['server_cmd'])}`; client: "
          f"`{short(file_result['client_cmd'])}` (pinned like the others)")
        for i, r in enumerate(file_result["runs"]):
            w(f"- run {i + 1}: {r['mbps']:,.0f} MB/s, complete: {r['ok']}, server RSS {r['rss_base_kib']} → peak "
              f"{r['rss_peak_kib']} KiB" + (f", client stderr: {r['error']}" if r["error"] else ""))
    else:
        w(f"Pending: {file_result.get('why')}.")
    w("")
    if server_errors:
        w("## Server error output\n")
        w("What the servers printed on stderr over the whole run. Resets are expected: at the end of each "
          "timed run loadgen closes its connections with requests still in flight, and a server that is "
          "reading or writing then sees `Connection reset by peer` (Python prints a traceback for each).\n")
        for name, lines in server_errors.items():
            # Ours: "socketserver: error handling request from A: read: Connection reset by peer";
            # Python: a traceback per error, ending in "ConnectionResetError: [Errno 104] ...".
            errors_ = [line for line in lines if "error handling request" in line or re.match(r"^\w+(Error|Exception): ", line)]
            resets = sum("reset by peer" in line.lower() or line.startswith("ConnectionResetError") for line in errors_)
            pipes = sum("broken pipe" in line.lower() for line in errors_)
            others = [line for line in lines if line not in errors_ and line.startswith("socketserver:")]
            others += [line for line in errors_ if "reset by peer" not in line.lower() and "broken pipe" not in line.lower()
                       and not line.startswith("ConnectionResetError")]
            w(f"- {name}: {len(errors_)} request errors ({resets} connection resets, {pipes} broken pipes)"
              + (f"; {len(others)} other lines, e.g. `{others[0][:160]}`" if others else ""))
        w("")
    analysis = ROOT / "bench" / "analysis.md"
    if analysis.exists():
        w(analysis.read_text().rstrip() + "\n")
    w("## All runs\n")
    w("Every measured value (the tables show the median), and the server CPU µs per operation of each run.\n")
    w("| placement | contender | workload | values | server CPU µs/op |")
    w("| --- | --- | --- | --- | --- |")
    for (placement, name, key), data in results.items():
        _title, metric, unit = workload_of[key]
        w(f"| {placement} | {name} | {key} | " + ", ".join(fmt(r.get(metric, 0), unit) for r in data) +
          f" {unit} | " + ", ".join(f"{r.get('server_cpu_us_per_op', 0):.2f}" for r in data) + " |")
    for (count, name), data in idle_results.items():
        w(f"| {placements[0]} | {name} | idle {count} | " +
          ", ".join(f"{r.get('rss_per_conn_kib', 0):.2f}" for r in data) + " KiB/conn | – |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
