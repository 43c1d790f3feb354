#!/usr/bin/python3
"""Resident-memory sampling and the soak report, for bench/soak.sh.

    soak_monitor.py sample PID LOG SEGMENT START [--interval S]   CSV rows to stdout
    soak_monitor.py report CSV [--skip FRACTION]            prints the per-segment table

`sample` reads VmRSS and VmHWM of process PID from /proc every S seconds (default 1) until
the process ends, together with the latest "Iteration N" the training log LOG shows (one
every `display` iterations; START, the segment's first iteration, until it shows one).
CSV columns: seconds,segment,iteration,rss_kib,hwm_kib.

`report` prints, per segment (one process), the resident size at the start of the steady
state (the first sample once FRACTION of the segment's iterations have run: start-up,
first test pass and first snapshot allocate everything a segment needs), at the end, the
peak (VmHWM), and the growth rate: the least-squares slope of resident size against
iteration over the steady-state samples, in KiB per 1000 iterations. The last line pools
all segments (each segment's own mean removed, so differences between processes do not
count as growth).
"""
import argparse
import os
import re
import sys
import time

ITERATION = re.compile(rb"Iteration (\d+)")


def status_kib(pid):
    """(VmRSS, VmHWM) in KiB, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            text = status.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    values = {}
    for line in text.splitlines():
        if line.startswith((b"VmRSS:", b"VmHWM:")):
            name, value = line.split(b":", 1)
            values[name] = int(value.split()[0])
    if b"VmRSS" not in values:  # a zombie has no memory lines
        return None
    return values[b"VmRSS"], values[b"VmHWM"]


def sample(args):
    start = time.monotonic()
    offset, iteration, carry = 0, args.start, b""
    out = sys.stdout
    while True:
        kib = status_kib(args.pid)
        if kib is None:
            return
        try:
            with open(args.log, "rb") as log:
                log.seek(offset)
                chunk = log.read()
            offset += len(chunk)
            lines = (carry + chunk).split(b"\n")
            carry = lines.pop()
            for line in lines:
                match = ITERATION.search(line)
                if match:
                    iteration = int(match.group(1))
        except FileNotFoundError:
            pass
        out.write(f"{time.monotonic() - start:.1f},{args.segment},{iteration},{kib[0]},{kib[1]}\n")
        out.flush()
        time.sleep(args.interval)


def slope_per_1000(points):
    """Least-squares slope of y over x, times 1000; None for fewer than 3 points."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return 1000 * sum((x - mx) * (y - my) for x, y in points) / sxx


def report(args):
    segments = {}
    with open(args.csv) as csv:
        for line in csv:
            if line.startswith("seconds"):
                continue
            seconds, segment, iteration, rss, hwm = line.strip().split(",")
            segments.setdefault(int(segment), []).append((float(seconds), int(iteration), int(rss), int(hwm)))
    if not segments:
        sys.exit(f"{args.csv} holds no samples")
    print(f"{'segment':>7} {'iterations':>13} {'samples':>7} {'steady RSS MiB':>14} {'end RSS MiB':>11} "
          f"{'end-steady KiB':>14} {'peak MiB':>8} {'growth KiB/1000 it':>18}")
    pooled = []
    for segment in sorted(segments):
        rows = segments[segment]
        first, last = rows[0][1], rows[-1][1]
        steady_from = first + args.skip * (last - first)
        steady = [r for r in rows if r[1] >= steady_from and r[1] > first]
        growth = slope_per_1000([(r[1], r[2]) for r in steady])
        if steady:
            mean = sum(r[2] for r in steady) / len(steady)
            pooled += [(r[1], r[2] - mean) for r in steady]
        steady_rss = steady[0][2] if steady else rows[0][2]
        print(f"{segment:>7} {first:>6}-{last:<6} {len(rows):>7} {steady_rss / 1024:>14.1f} {rows[-1][2] / 1024:>11.1f} "
              f"{rows[-1][2] - steady_rss:>+14d} {max(r[3] for r in rows) / 1024:>8.1f} "
              f"{'n/a' if growth is None else f'{growth:+.1f}':>18}")
    growth = slope_per_1000(pooled)
    print(f"all segments: {len(pooled)} steady-state samples, growth "
          f"{'n/a' if growth is None else f'{growth:+.1f}'} KiB per 1000 iterations")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True)
    s = verbs.add_parser("sample")
    s.add_argument("pid", type=int)
    s.add_argument("log")
    s.add_argument("segment", type=int)
    s.add_argument("start", type=int)
    s.add_argument("--interval", type=float, default=1.0)
    r = verbs.add_parser("report")
    r.add_argument("csv")
    r.add_argument("--skip", type=float, default=0.25)
    args = parser.parse_args()
    if args.verb == "sample":
        if not os.path.isdir(f"/proc/{args.pid}"):
            sys.exit(f"no process {args.pid}")
        sample(args)
    else:
        report(args)


if __name__ == "__main__":
    main()
