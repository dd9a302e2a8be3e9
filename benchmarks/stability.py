"""How often each growth verdict comes out the same when a sweep is repeated.

Runs the default linear sweep (scan and unroll, L = 1..96, 3 repeats) --runs
times (default 5), each a full cold run in a fresh worker, and prints for
every (variant, metric) the verdicts of each run and how many runs agreed
with the most common one.

    python benchmarks/stability.py [--runs 5] [--layers 1,2,...] [--model linear] [--repeats 3]

Target: every run the same (5/5) for compile_s and the instruction counts.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from _engine import SweepConfig, sweep

from hloscope.results.growth import fit_growth

TARGET_METRICS = ("compile_s", "hlo.pre.instructions", "hlo.opt.instructions")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--layers", default="1,2,4,8,16,32,64,96")
    parser.add_argument("--model", default="linear")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    config = SweepConfig(models=(args.model,), layers=tuple(int(x) for x in args.layers.split(",")),
                         repeats=args.repeats)
    verdicts: dict[tuple[str, str], list[str]] = {}
    exponents: dict[tuple[str, str], list[float]] = {}
    for run in range(args.runs):
        start = time.monotonic()
        results = sweep(config, quiet=True)
        failed = [p for p in results.points if not p.ok]
        for g in fit_growth(results.points):
            verdicts.setdefault((g.variant, g.metric), []).append(g.order)
            exponents.setdefault((g.variant, g.metric), []).append(g.exponent)
        print(f"run {run + 1}/{args.runs}: {time.monotonic() - start:.0f} s, {len(failed)} failed points", flush=True)
    print(f"\n{'variant':8} {'metric':22} {'same':>5}  verdicts (exponents)")
    missed = []
    for (variant, metric), orders in sorted(verdicts.items()):
        common, count = Counter(orders).most_common(1)[0]
        same = f"{count}/{args.runs}"
        shown = ", ".join(f"{o} ({e:.2f})" for o, e in zip(orders, exponents[(variant, metric)]))
        print(f"{variant:8} {metric:22} {same:>5}  {shown}")
        if metric in TARGET_METRICS and count < args.runs:
            missed.append(f"{variant} {metric}")
    print(f"\ntarget: {args.runs}/{args.runs} for {', '.join(TARGET_METRICS)}: "
          + ("met" if not missed else "MISSED for " + "; ".join(missed)))
    return 0 if not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
