#!/usr/bin/env python3
"""Runs every benchmark contender against the same loadgen workloads and writes docs/benchmarks.md.

    python3 bench/run.py [--build] [--build-dir build-bench] [--runs 3] [--duration 1.0]

Contenders: examples/echo_server in every --mode (TCP and --udp), Python's own
socketserver.ThreadingTCPServer and ForkingTCPServer (bench/py_*_echo.py) and the raw-Asio
reference bench/asio_echo. Each is started on 127.0.0.1 port 0 and driven by bench/loadgen,
in two placements: pinned (server on CPU 0, loadgen on CPU 1, with taskset) and unpinned.
Repetitions are interleaved (run 1 of every contender, then run 2, ...) so that background
load drifts over all contenders alike; the tables hold medians. When examples/file_server
and file_client are built, a 1 GiB file transfer is compared with `cat FILE > /dev/null`.

Standard library only. Every server runs in its own session and is killed with its whole
process group at the end of its turn; every loadgen run is bounded in time.
"""
import argparse
import datetime
import json
import os
import platform
import re
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
POOL_WORKERS = 64   # pool mode: one worker per pingpong connection (see the notes in the doc)

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
IDLE_CONNECTIONS = 1000


# The example servers' safety defaults (--max-connections 256, --reply-rate 100 a second per
# source address) would cap the idle row at 256 connections and the UDP rows, whose 16
# sockets share 127.0.0.1, at 100 datagrams a second: the benchmark measures the server's
# speed, so it turns both off, as a deployment sized for the load would.
UNCAPPED = ["--max-connections", "0"]
UNLIMITED_REPLIES = ["--reply-rate", "0"]


def contenders(build):
    echo = str(build / "examples" / "echo_server")
    asio = str(build / "bench" / "asio_echo")
    tcp = [
        ("sync", [echo, "--port", "0", "--mode", "sync"]),
        ("threading", [echo, "--port", "0", "--mode", "threading"]),
        ("forking", [echo, "--port", "0", "--mode", "forking", "--max-children", str(MAX_CHILDREN)]),
        ("pool", [echo, "--port", "0", "--mode", "pool", "--workers", str(POOL_WORKERS)]),
        ("py-threading", [PYTHON, str(ROOT / "bench" / "py_threading_echo.py"), "--port", "0"]),
        ("py-forking", [PYTHON, str(ROOT / "bench" / "py_forking_echo.py"), "--port", "0", "--max-children", str(MAX_CHILDREN)]),
        ("asio", [asio, "--port", "0"]),
    ]
    udp = [
        ("udp sync", [echo, "--port", "0", "--udp", "--mode", "sync", *UNLIMITED_REPLIES]),
        ("udp threading", [echo, "--port", "0", "--udp", "--mode", "threading", *UNLIMITED_REPLIES]),
        ("udp forking", [echo, "--port", "0", "--udp", "--mode", "forking", "--max-children", str(MAX_CHILDREN), *UNLIMITED_REPLIES]),
        ("udp pool", [echo, "--port", "0", "--udp", "--mode", "pool", "--workers", str(POOL_WORKERS), *UNLIMITED_REPLIES]),
        ("udp asio", [asio, "--port", "0", "--udp"]),
    ]
    idle = [
        ("threading", [echo, "--port", "0", "--mode", "threading", "--timeout", "60", *UNCAPPED], []),
        ("threading, never sent", [echo, "--port", "0", "--mode", "threading", "--timeout", "60", *UNCAPPED], ["--no-ping"]),
        ("pool", [echo, "--port", "0", "--mode", "pool", "--workers", str(POOL_WORKERS), "--timeout", "60", *UNCAPPED], ["--no-ping"]),
        ("py-threading", [PYTHON, str(ROOT / "bench" / "py_threading_echo.py"), "--port", "0"], []),
        ("asio", [asio, "--port", "0"], []),
    ]
    return tcp, udp, idle


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


def run_loadgen(loadgen, args, port, cpu, duration, warmup, extra=()):
    cmd = taskset(cpu) + [str(loadgen)] + args + ["--port", str(port), "--duration", str(duration),
                                                  "--warmup", str(warmup)] + list(extra)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + warmup + 30)
    except subprocess.TimeoutExpired:
        return {"errors": 1, "error_samples": ["loadgen timed out"], "rate": 0, "mbps": 0}, cmd
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"errors": 1, "error_samples": [f"loadgen failed: {done.stderr.strip()[-300:]}"], "rate": 0, "mbps": 0}, cmd
    return json.loads(lines[-1]), cmd


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
    if unit == "MB/s":
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    return f"{value / 1000:,.1f}k" if value >= 10000 else f"{value:,.0f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=str(ROOT / "build-bench"))
    parser.add_argument("--build", action="store_true", help="configure (if needed) and build the targets first")
    parser.add_argument("--runs", type=int, default=3, help="repetitions per cell (median taken)")
    parser.add_argument("--duration", type=float, default=1.0, help="measured seconds per loadgen run")
    parser.add_argument("--warmup", type=float, default=0.25, help="seconds before measuring")
    parser.add_argument("--placements", default="pinned,unpinned")
    parser.add_argument("--only", default="", help="comma-separated contenders to run (development)")
    parser.add_argument("--no-file", action="store_true", help="skip the 1 GiB file transfer")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    build = Path(args.build_dir).resolve()

    if args.build:
        if not (build / "CMakeCache.txt").exists():
            subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DSOCKETSERVER_BUILD_TESTS=OFF"], check=True)
        targets = ["loadgen", "asio_echo", "echo_server"]
        if (ROOT / "examples" / "file_server.cpp").exists():
            targets += ["file_server", "file_client"]
        subprocess.run(["cmake", "--build", str(build), "-j2", "--target", *targets], check=True)
    loadgen = build / "bench" / "loadgen"
    for needed in (loadgen, build / "bench" / "asio_echo", build / "examples" / "echo_server"):
        if not needed.exists():
            sys.exit(f"run.py: {needed} is missing: build it first (or pass --build)")

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
    tcp, udp, idle = contenders(build)
    if args.only:
        wanted = set(args.only.split(","))
        tcp = [c for c in tcp if c[0] in wanted]
        udp = [c for c in udp if c[0] in wanted]
        idle = [c for c in idle if c[0] in wanted]
    logdir = tempfile.mkdtemp(prefix="socketserver-bench-")

    results = {}          # (placement, contender, workload) -> [json, ...]
    commands = {}         # workload -> a loadgen command line (with PORT)
    server_errors = {}    # contender -> stderr lines
    groups = [(tcp, TCP_WORKLOADS), (udp, UDP_WORKLOADS)]
    total_runs = len(placements) * args.runs * sum(len(c) * len(w) for c, w in groups)
    log(f"run.py: {total_runs} loadgen runs of {args.warmup}+{args.duration} s, "
        f"about {total_runs * (args.duration + args.warmup + 0.2) / 60:.1f} min, plus idle and file transfer")
    done_runs = 0
    for placement in placements:
        server_cpu, client_cpu = cpus[placement]
        for rep in range(args.runs):
            for group, workloads in groups:
                for name, argv in group:
                    server = Server(argv, server_cpu, logdir)
                    for key, _title, lg_args, metric, unit in workloads:
                        data, cmd = run_loadgen(loadgen, lg_args, server.port, client_cpu, args.duration, args.warmup)
                        commands[key] = shlex.join([c if c != str(server.port) else "PORT" for c in cmd]).replace(str(build) + "/", "")
                        results.setdefault((placement, name, key), []).append(data)
                        done_runs += 1
                        flag = f"  ERRORS {data.get('errors')}: {data.get('error_samples')}" if data.get("errors") else ""
                        log(f"[{placement} {rep + 1}/{args.runs} {done_runs}/{total_runs} "
                            f"{time.monotonic() - started:5.0f}s] {name:13s} {key:7s} "
                            f"{fmt(data.get(metric, 0), unit):>9s} {unit}{flag}")
                    errors = server.stop()
                    if errors.strip():
                        server_errors.setdefault(name, []).extend(errors.strip().splitlines())

    # Idle connections: memory per connection (pinned placement only; memory does not depend on it).
    idle_results = {}
    idle_cpu = cpus[placements[0]]
    for rep in range(args.runs):
        for name, argv, extra in idle:
            server = Server(argv, idle_cpu[0], logdir)
            data, cmd = run_loadgen(loadgen, ["idle", "-c", str(IDLE_CONNECTIONS), "--pid", str(server.pid)],
                                    server.port, idle_cpu[1], 0.5, 0, extra)
            commands["idle " + name] = shlex.join(cmd).replace(str(build) + "/", "").replace(
                str(server.port), "PORT").replace(str(server.pid), "PID")
            idle_results.setdefault(name, []).append(data)
            log(f"[idle {rep + 1}/{args.runs}] {name:13s} {data.get('rss_per_conn_kib', 0):7.1f} KiB/conn "
                f"errors {data.get('errors')}")
            server.stop()

    file_result = {"status": "skipped", "why": "--no-file"} if args.no_file else file_transfer(
        build, idle_cpu[0], idle_cpu[1], args.runs, logdir)
    if file_result.get("status") == "measured":
        log(f"[file] cat {median(file_result['cat_mbps']):.0f} MB/s, transfer "
            f"{median([r['mbps'] for r in file_result['runs']]):.0f} MB/s")

    elapsed = time.monotonic() - started
    load_after = load_snapshot()
    raw = build / "bench-results.json"
    raw.write_text(json.dumps({"date": date, "machine": machine, "elapsed": elapsed,
                               "results": [{"placement": p, "contender": c, "workload": w, "runs": r}
                                           for (p, c, w), r in results.items()],
                               "idle": idle_results, "file": file_result}, indent=1))
    doc = render(args, date, machine, load_before, load_after, busy_before, elapsed, placements, tcp, udp,
                 results, commands, idle_results, file_result, server_errors, build)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(doc)
    log(f"run.py: wrote {args.output} (raw runs: {raw}) in {elapsed:.0f} s")


def render(args, date, machine, load_before, load_after, busy_before, elapsed, placements, tcp, udp, results,
           commands, idle_results, file_result, server_errors, build):
    def cell(placement, contender, key, metric="rate"):
        return median([r.get(metric, 0) for r in results.get((placement, contender, key), [])])

    def errors(placement, contender, key):
        return sum(r.get("errors", 0) for r in results.get((placement, contender, key), []))

    out = []
    w = out.append
    w("# Benchmarks\n")
    w("Generated by `bench/run.py`; do not edit the numbers by hand — rerun the script. "
      "The analysis under *Where the time goes* is kept in `bench/analysis.md` and copied in.\n")
    w("## The run\n")
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
          "thread-per-connection servers over the single-threaded `asio_echo`; the per-request CPU costs "
          "under *Where the time goes* do not depend on the load and are the better guide.")
    w(f"- {args.runs} runs per cell, medians shown; each loadgen run warms up {args.warmup} s and measures "
      f"{args.duration} s. Placements: " + ", ".join(
          "pinned = server on CPU 0, loadgen on CPU 1 (`taskset -c 0` / `taskset -c 1`)" if p == "pinned"
          else "unpinned = no affinity, the scheduler places both" for p in placements) + ".")
    w("")
    w("## How to reproduce\n")
    w("```sh")
    w("cmake -S . -B build-bench -DSOCKETSERVER_BUILD_TESTS=OFF")
    w("cmake --build build-bench -j2 --target loadgen asio_echo echo_server file_server file_client")
    w("python3 bench/run.py --build-dir build-bench      # or: python3 bench/run.py --build")
    w("```\n")
    w("This run: `" + shlex.join(["python3", "bench/run.py"] + sys.argv[1:]).replace(str(ROOT) + "/", "") + "`\n")
    w("### Contenders (server commands; pinned runs prefix `taskset -c 0`)\n")
    w("| name | command |")
    w("| --- | --- |")
    for name, argv in tcp + udp:
        w(f"| {name} | `{shlex.join(argv).replace(str(build) + '/', '').replace(str(ROOT) + '/', '')}` |")
    w("")
    w(f"`pool` runs with `--workers {POOL_WORKERS}`: a pool worker serves one connection for that connection's "
      "whole life, so with the default (cores, at least 4) pingpong connections beyond the 4th would wait "
      f"for the whole run. Both forking servers get {MAX_CHILDREN} children (Python's default is 40, fewer "
      "than the 64 pingpong connections). The Python servers use a `SOMAXCONN` backlog like echo_server "
      "(Python's default is 5). `sync` has no concurrency mix-in: one thread serves every connection, "
      "one message at a time, because echo_server's `EchoHandler` is a `MessageRequestHandler` "
      "(docs/concurrency.md).\n")
    w("### Workloads (loadgen commands; pinned runs prefix `taskset -c 1`)\n")
    w("| workload | command |")
    w("| --- | --- |")
    for key, title, *_ in TCP_WORKLOADS + UDP_WORKLOADS:
        if key in commands:
            w(f"| {title} | `{commands[key]}` |")
    for key in sorted(k for k in commands if k.startswith("idle ")):
        w(f"| idle, {key[5:]} | `{commands[key]}` |")
    w("\nEvery echoed byte is compared with what was sent; a cell whose runs saw errors is marked `(E)`.\n")

    # Targets.
    w("## Targets\n")
    w("| workload | target | measured | ratio | status |")
    w("| --- | --- | --- | --- | --- |")
    status_lines = []

    def target(workload, what, numerator, denominator, needed, num_label, den_label, unit):
        if denominator <= 0 or numerator <= 0:
            w(f"| {workload} | {what} ≥ {needed}× | not measured | – | **not measured** |")
            return
        ratio = numerator / denominator
        met = ratio >= needed
        status_lines.append(met)
        shown = f"{ratio:.3f}" if abs(ratio - needed) < 0.005 else f"{ratio:.2f}"
        w(f"| {workload} | {what} ≥ {needed}× | {num_label} {fmt(numerator, unit)} vs {den_label} "
          f"{fmt(denominator, unit)} {unit} | {shown}× | {'met' if met else '**not met**'} |")

    if "pinned" in placements:
        for mode in ("threading", "pool"):
            target("pingpong 16×64 B, pinned", f"`{mode}` / Python ThreadingTCPServer", cell("pinned", mode, "pp16"),
                   cell("pinned", "py-threading", "pp16"), 1.05, mode, "py-threading", "req/s")
            target("pingpong 16×64 B, pinned", f"`{mode}` / raw Asio", cell("pinned", mode, "pp16"),
                   cell("pinned", "asio", "pp16"), 0.65, mode, "asio", "req/s")
    if "unpinned" in placements:
        for mode in ("threading", "pool"):
            target("pingpong 16×64 B, unpinned", f"`{mode}` / Python ThreadingTCPServer",
                   cell("unpinned", mode, "pp16"), cell("unpinned", "py-threading", "pp16"), 2.5, mode,
                   "py-threading", "req/s")
    if "pinned" in placements:
        target("pingpong 64×64 B, pinned", "`pool` / raw Asio", cell("pinned", "pool", "pp64"),
               cell("pinned", "asio", "pp64"), 0.6, "pool", "asio", "req/s")
        for mode in ("sync", "threading", "forking", "pool"):
            target("pingpong 64×64 B, pinned", f"`{mode}` / Python ForkingTCPServer", cell("pinned", mode, "pp64"),
                   cell("pinned", "py-forking", "pp64"), 1.0, mode, "py-forking", "req/s")
        for mode in ("sync", "threading", "pool"):
            target("pingpong 16×16 KiB, pinned", f"`{mode}` / raw Asio (MB/s)", cell("pinned", mode, "pp16k", "mbps"),
                   cell("pinned", "asio", "pp16k", "mbps"), 0.7, mode, "asio", "MB/s")
        target("connrate 8×64 B, pinned", "`threading` / Python ThreadingTCPServer", cell("pinned", "threading", "conn8"),
               cell("pinned", "py-threading", "conn8"), 2.0, "threading", "py-threading", "conn/s")
        target("connrate 8×64 B, pinned", "`forking` / Python ForkingTCPServer", cell("pinned", "forking", "conn8"),
               cell("pinned", "py-forking", "conn8"), 2.0, "forking", "py-forking", "conn/s")
        target("connrate 8×64 B, pinned", "`pool` / raw Asio", cell("pinned", "pool", "conn8"),
               cell("pinned", "asio", "conn8"), 0.5, "pool", "asio", "conn/s")
    if "threading" in idle_results:
        per = median([r.get("rss_per_conn_kib", 0) for r in idle_results["threading"]])
        met = per <= 16
        status_lines.append(met)
        w(f"| idle, threading, {IDLE_CONNECTIONS} connections | ≤ 16 KiB server RSS per connection | "
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
    w(f"\n{sum(status_lines)} of {len(status_lines)} measured targets met.\n")
    if "unpinned" in placements and cell("unpinned", "py-threading", "pp16") > 0:
        reference = cell("unpinned", "asio", "pp16") / cell("unpinned", "py-threading", "pp16")
        w(f"For scale: unpinned, the raw-Asio reference itself reaches {reference:.2f}× Python "
          "ThreadingTCPServer on pingpong 16×64 B (the 2.5× row's bar).\n")

    # Result tables.
    for placement in placements:
        w(f"## TCP results, {placement}\n")
        w("| contender | " + " | ".join(f"{title} ({unit})" for _k, title, _a, _m, unit in TCP_WORKLOADS) +
          " | pingpong 16×64 B p50 / p99 (µs) |")
        w("| --- | " + " | ".join("---:" for _ in TCP_WORKLOADS) + " | ---: |")
        for name, _argv in tcp:
            cells = []
            for key, _title, _a, metric, unit in TCP_WORKLOADS:
                value = cell(placement, name, key, metric)
                mark = " (E)" if errors(placement, name, key) else ""
                stalled = median([r.get("stalled_connections", 0) for r in results.get((placement, name, key), [])])
                mark += f" ({stalled:.0f} stalled)" if stalled else ""
                cells.append(fmt(value, unit) + mark)
            p50 = cell(placement, name, "pp16", "p50_us")
            p99 = cell(placement, name, "pp16", "p99_us")
            w(f"| {name} | " + " | ".join(cells) + f" | {p50:,.0f} / {p99:,.0f} |")
        w("")
    if udp:
        w("## UDP results\n")
        w("| contender | " + " | ".join(f"{p}: {t} ({u})" for p in placements for _k, t, _a, _m, u in UDP_WORKLOADS) +
          " | lost (pinned) |")
        w("| --- | " + " | ".join("---:" for _ in placements for _ in UDP_WORKLOADS) + " | ---: |")
        for name, _argv in udp:
            cells = [fmt(cell(p, name, k, m), u) + (" (E)" if errors(p, name, k) else "")
                     for p in placements for k, _t, _a, m, u in UDP_WORKLOADS]
            lost = median([r.get("lost", 0) for r in results.get((placements[0], name, "udp16"), [])])
            w(f"| {name} | " + " | ".join(cells) + f" | {lost:.0f} |")
        w("")
    if idle_results:
        w(f"## Idle connections ({IDLE_CONNECTIONS}, server pinned)\n")
        w("RSS growth of the server process (and its children) between before connecting and after "
          f"{IDLE_CONNECTIONS} connections have each echoed one byte (`pool`: not pinged, so the "
          "connections stay parked on the accept loop as idle ones do), divided by the connections.\n")
        w("| contender | RSS per connection (KiB) | PSS per connection (KiB) | connections open | errors |")
        w("| --- | ---: | ---: | ---: | ---: |")
        for name, runs in idle_results.items():
            w(f"| {name} | {median([r.get('rss_per_conn_kib', 0) for r in runs]):.1f} | "
              f"{median([r.get('pss_per_conn_kib', 0) for r in runs]):.1f} | "
              f"{median([r.get('connections_open', 0) for r in runs]):.0f} | {sum(r.get('errors', 0) for r in runs)} |")
        w("")
    w("## File transfer (1 GiB, page-cached)\n")
    if file_result.get("status") == "measured":
        w(f"{len(file_result['runs'])} runs, alternating with `cat`; the server sends with sendfile(2) "
          "(`wfile.send_file`), the client receives with splice(2) (`rfile.read_to_file`).\n")
        w(f"- limit: `{file_result['cat_cmd'].replace(str(build) + '/', '')}` — "
          + ", ".join(f"{v:,.0f}" for v in file_result["cat_mbps"]) + " MB/s")
        w(f"- server: `{file_result['server_cmd'].replace(str(build) + '/', '')}`; client: "
          f"`{file_result['client_cmd'].replace(str(build) + '/', '')}` (pinned like the others)")
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
            errors = [line for line in lines if "error handling request" in line or re.match(r"^\w+(Error|Exception): ", line)]
            resets = sum("reset by peer" in line.lower() or line.startswith("ConnectionResetError") for line in errors)
            pipes = sum("broken pipe" in line.lower() for line in errors)
            others = [line for line in lines if line not in errors and line.startswith("socketserver:")]
            others += [line for line in errors if "reset by peer" not in line.lower() and "broken pipe" not in line.lower()
                       and not line.startswith("ConnectionResetError")]
            w(f"- {name}: {len(errors)} request errors ({resets} connection resets, {pipes} broken pipes)"
              + (f"; {len(others)} other lines, e.g. `{others[0][:160]}`" if others else ""))
        w("")
    analysis = ROOT / "bench" / "analysis.md"
    if analysis.exists():
        w(analysis.read_text().rstrip() + "\n")
    w("## All runs\n")
    w("Every measured value (the tables show the median).\n")
    w("| placement | contender | workload | values |")
    w("| --- | --- | --- | --- |")
    for (placement, name, key), runs in results.items():
        metric, unit = next((m, u) for k, _t, _a, m, u in TCP_WORKLOADS + UDP_WORKLOADS if k == key)
        w(f"| {placement} | {name} | {key} | " + ", ".join(fmt(r.get(metric, 0), unit) for r in runs) + f" {unit} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
