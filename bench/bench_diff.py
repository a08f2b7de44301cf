"""Time the Prefect 2.20.26 -> 3.8.8 spec diff: median of several runs.

    python bench/bench_diff.py [--runs N] [OLD NEW]

Loading (JSON parsing, $ref checks) and diffing are timed separately; the target is a
diff under 2 s. Counts per level are printed too, so a change in the numbers is visible.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from restcontract.diff import diff_specs  # noqa: E402
from restcontract.spec import load_spec  # noqa: E402


def timed(fn, *args):
    """(result, wall seconds, CPU seconds of this process): on a shared machine the CPU time is the
    stable figure, the wall time what a user waits."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return result, time.perf_counter() - start, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", nargs="?", default=str(ROOT / "spec/prefect-2.20.26.json"))
    parser.add_argument("new", nargs="?", default=str(ROOT / "spec/prefect-3.8.8.json"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    load_times, diff_times, diff_cpu, changes = [], [], [], []
    for _ in range(args.runs):
        (old, new), load_time, _ = timed(lambda: (load_spec(args.old), load_spec(args.new)))
        changes, diff_time, cpu = timed(diff_specs, old, new)
        load_times.append(load_time)
        diff_times.append(diff_time)
        diff_cpu.append(cpu)
    counts = Counter(c.level.name for c in changes)
    print(f"{Path(args.old).name} -> {Path(args.new).name}: {len(old)} -> {len(new)} operations, "
          f"{counts['ERR']} ERR, {counts['WARN']} WARN, {counts['INFO']} INFO")
    print(f"load (both documents): median {statistics.median(load_times):.3f} s")
    print(f"diff:                  median {statistics.median(diff_times):.3f} s "
          f"(min {min(diff_times):.3f}, max {max(diff_times):.3f}, {args.runs} runs); "
          f"CPU median {statistics.median(diff_cpu):.3f} s")
    total = statistics.median(a + b for a, b in zip(load_times, diff_times, strict=True))
    print(f"load + diff:           median {total:.3f} s (target: under 2 s); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
