#!/usr/bin/env python3
"""compare_builds: echo_server of two builds side by side, to see what a change costs.

    python3 bench/compare_builds.py --before OLD_BUILD --after NEW_BUILD [--runs 5]

Each build directory must hold examples/echo_server; the load generator is the --after
build's bench/loadgen. For every mode and workload the two servers are measured in turn,
--runs times, alternating (before, after, before, ...), server pinned to CPU 0 and the load
generator to CPU 1 as in bench/run.py, so drift on a shared machine hits both alike. Prints
a Markdown table of medians and the after/before ratio.
"""
import argparse
import shlex
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (Server, run_loadgen, TCP_WORKLOADS: the same harness as the full run)

MODES = {
    "sync": ["--mode", "sync"],
    "threading": ["--mode", "threading"],
    "pool": ["--mode", "pool", "--workers", str(run.POOL_WORKERS)],
    "async": ["--mode", "async", "--threads", "1"],
}
WORKLOADS = ["pp16", "pp64", "conn8"]


def measure(build, mode, workload, loadgen, args, logdir):
    argv = [str(Path(build) / "examples" / "echo_server"), "--port", "0", *MODES[mode]]
    if build == args.after:
        argv += args.after_flags
    server = run.Server(argv, 0, logdir)
    try:
        _key, _title, load, metric, _unit = next(w for w in run.TCP_WORKLOADS + run.MANY_WORKLOADS
                                                  if w[0] == workload)
        if workload in run.MANY_CONNECTIONS:  # as the full run measures them
            data, _cmd = run.run_loadgen(loadgen, load, server, 1, run.MANY_DURATION, run.MANY_WARMUP,
                                         io_timeout=run.MANY_IO_TIMEOUT)
        else:
            data, _cmd = run.run_loadgen(loadgen, load, server, 1, args.duration, args.warmup)
        return data.get(metric, 0), data.get("errors", 0)
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--after-flags", default="",
                        help="extra echo_server flags for the after build, as one string (options the before "
                             "build lacks): --after-flags='--max-connections 0'")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated modes to measure")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated workloads")
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--warmup", type=float, default=0.25)
    args = parser.parse_args()
    args.after_flags = shlex.split(args.after_flags)
    loadgen = Path(args.after) / "bench" / "loadgen"
    with tempfile.TemporaryDirectory() as logdir:
        print("| mode | workload | before (median) | after (median) | after / before | errors |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for mode in args.modes.split(","):
            for workload in args.workloads.split(","):
                results = {args.before: [], args.after: []}
                errors = 0
                for _ in range(args.runs):
                    for build in (args.before, args.after):
                        value, failed = measure(build, mode, workload, loadgen, args, logdir)
                        results[build].append(value)
                        errors += failed
                before = statistics.median(results[args.before])
                after = statistics.median(results[args.after])
                ratio = after / before if before else float("nan")
                print(f"| {mode} | {workload} | {before:,.0f} | {after:,.0f} | {ratio:.2f} | {errors} |", flush=True)


if __name__ == "__main__":
    main()
