#!/usr/bin/env python3
"""What one request costs a server: CPU time, system calls and context switches per operation.

    python3 bench/cost.py [--build-dir build-bench] [--workloads pp16,conn8] [SERVER ...]

Starts each server pinned to CPU 0, counts its whole process tree with `perf stat`
(task-clock, raw_syscalls:sys_enter, context-switches) while bench/loadgen drives it from
CPU 1, and divides by the operations loadgen completed (requests, connections). Unlike the
rates of bench/run.py, these numbers hardly move when other work shares the machine: they
count only the server's own CPU time. Needs `perf` (Debian: linux-perf) and root or
kernel.perf_event_paranoid <= 0 for the syscall tracepoint.

SERVER is a name below (default: all). `variants-*` are the what-if servers of
bench/variants.cpp.
"""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable

WORKLOADS = {
    "pp16": ["pingpong", "-c", "16", "-s", "64"],
    "pp64": ["pingpong", "-c", "64", "-s", "64"],
    "pp16k": ["pingpong", "-c", "16", "-s", "16384"],
    "conn8": ["connrate", "-c", "8", "-s", "64"],
}


def servers(build):
    echo = str(build / "examples" / "echo_server")
    variants = str(build / "bench" / "variants")
    table = {
        "sync": [echo, "--port", "0", "--mode", "sync"],
        "async": [echo, "--port", "0", "--mode", "async", "--threads", "1"],
        "threading": [echo, "--port", "0", "--mode", "threading"],
        "forking": [echo, "--port", "0", "--mode", "forking", "--max-children", "128"],
        "pool": [echo, "--port", "0", "--mode", "pool", "--workers", "64"],
        "py-threading": [PYTHON, str(ROOT / "bench" / "py_threading_echo.py"), "--port", "0"],
        "py-forking": [PYTHON, str(ROOT / "bench" / "py_forking_echo.py"), "--port", "0", "--max-children", "128"],
        "asio": [str(build / "bench" / "asio_echo"), "--port", "0"],
    }
    for name in ("read64k", "read4k", "raw", "blocking", "small-stack", "thread-cache"):
        table["variants-" + name] = [variants, name]
    return table


def measure(build, argv, workload, duration):
    out = Path(f"/tmp/cost-{os.getpid()}.out")
    with open(out, "w") as sink:
        server = subprocess.Popen(["taskset", "-c", "0"] + argv, stdout=sink, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
    try:
        port = None
        for _ in range(200):
            match = re.search(r"listening on \S*:(\d+)", out.read_text())
            if match:
                port = match.group(1)
                break
            time.sleep(0.05)
        if port is None:
            raise RuntimeError(f"{argv[0]} did not start")
        stat_file = Path(f"/tmp/cost-{os.getpid()}.perf")
        perf = subprocess.Popen(["perf", "stat", "-x,", "-e", "task-clock,raw_syscalls:sys_enter,context-switches",
                                 "-p", str(server.pid), "-o", str(stat_file)])
        time.sleep(0.3)
        run = subprocess.run(["taskset", "-c", "1", str(build / "bench" / "loadgen")] + WORKLOADS[workload] +
                             ["--port", port, "--warmup", "0", "--duration", str(duration)],
                             capture_output=True, text=True, timeout=duration + 30)
        perf.send_signal(signal.SIGINT)
        perf.wait()
        result = json.loads([line for line in run.stdout.splitlines() if line.startswith("{")][-1])
        counters = {}
        for line in stat_file.read_text().splitlines():
            fields = line.split(",")
            if len(fields) > 3 and fields[0][:1].isdigit():
                counters[fields[2]] = float(fields[0])
        stat_file.unlink()
        return result, counters
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        out.unlink(missing_ok=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=str(ROOT / "build-bench"))
    parser.add_argument("--workloads", default="pp16,conn8")
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repetitions; medians shown")
    parser.add_argument("servers", nargs="*")
    args = parser.parse_args()
    build = Path(args.build_dir).resolve()
    table = servers(build)
    names = args.servers or list(table)
    print(f"{'workload':8s} {'server':22s} {'ops/s':>8s} {'CPU us/op':>10s} {'syscalls/op':>12s} {'ctx-sw/op':>10s} "
          f"errors  (medians of {args.repeat}; CPU us/op of each run)")
    for workload in args.workloads.split(","):
        samples = {name: [] for name in names}
        for _ in range(args.repeat):
            for name in names:
                result, counters = measure(build, table[name], workload, args.duration)
                ops = max(result["ops"], 1)
                samples[name].append((result["rate"], counters.get("task-clock", 0) * 1000 / ops,
                                      counters.get("raw_syscalls:sys_enter", 0) / ops,
                                      counters.get("context-switches", 0) / ops, result["errors"]))
        for name in names:
            runs = samples[name]
            med = [statistics.median(column) for column in zip(*runs)]
            print(f"{workload:8s} {name:22s} {med[0]:8.0f} {med[1]:10.1f} {med[2]:12.2f} {med[3]:10.2f} "
                  f"{sum(r[4] for r in runs):6d}  ({', '.join(f'{r[1]:.1f}' for r in runs)})", flush=True)


if __name__ == "__main__":
    main()
