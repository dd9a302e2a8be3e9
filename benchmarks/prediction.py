"""Predict the deep end of a sweep from its shallow end, and compare.

Runs the default transformer sweep (scan and unroll, L = 1..96, 3 repeats)
unless --results names a run that holds it, fits growth on the points with
L <= --fit-max (32), predicts L = 64 and 96 (--targets) and prints the
relative error of each prediction against what was measured, and whether the
measured value fell inside the 95% prediction interval.

    python benchmarks/prediction.py [--results reports/RUN] [--fit-max 32] [--targets 64,96]

Target: compile_s within 25% for both variants.
"""

from __future__ import annotations

import argparse

from _engine import SweepConfig, results_or_sweep

from hloscope.results.growth import fit_growth

TARGET = 0.25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", help="results.json or run folder to read instead of measuring")
    parser.add_argument("--fit-max", type=int, default=32)
    parser.add_argument("--targets", default="64,96")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    targets = tuple(int(x) for x in args.targets.split(","))
    layers = tuple(sorted({1, 2, 4, 8, 16, 32, *targets}))
    config = SweepConfig(models=("transformer",), layers=layers, repeats=args.repeats)
    results = results_or_sweep(args.results, config)
    points = [p for p in results.points if p.ok and p.model == "transformer"]
    fits = fit_growth([p for p in points if p.layers <= args.fit_max])
    measured = {(p.variant, p.layers): p for p in points}
    print(f"fit on L <= {args.fit_max}; predicting L = {', '.join(map(str, targets))}\n")
    print(f"{'variant':8} {'metric':22} {'order':9} {'L':>4} {'predicted':>12} {'95% interval':>25} "
          f"{'measured':>12} {'error':>7} in")
    missed = []
    for g in sorted(fits, key=lambda g: (g.variant, g.metric)):
        for L in targets:
            point = measured.get((g.variant, L))
            actual = point.value(g.metric) if point else None
            if actual is None:
                continue
            pred = g.predict(L)
            error = (pred.value - actual) / actual
            interval = ("n/a" if pred.low is None or pred.high is None
                        else f"{pred.low:.4g} – {pred.high:.4g}")
            inside = (pred.low is not None and pred.high is not None
                      and pred.low * (1 - 1e-9) <= actual <= pred.high * (1 + 1e-9))
            print(f"{g.variant:8} {g.metric:22} {g.order:9} {L:>4} {pred.value:>12.4g} {interval:>25} "
                  f"{actual:>12.4g} {error:>+7.1%} {'yes' if inside else 'no'}")
            if g.metric == "compile_s" and abs(error) > TARGET:
                missed.append((g.variant, L, error))
    if not missed:
        print(f"\ntarget: compile_s within {TARGET:.0%} for both variants: met")
        return 0
    print(f"\ntarget: compile_s within {TARGET:.0%}: MISSED for "
          + "; ".join(f"{v} L={L} ({e:+.0%})" for v, L, e in missed))
    print("why: the fit extrapolates the slope of L <= 32 two to three times further. Unrolled compile time\n"
          "is not an exact power law: XLA's passes grow slightly faster than linearly with module size at\n"
          "large L, and on this shared 2-core machine a few seconds of load from other processes shift a\n"
          "single point by tens of percent. A scanned stack's compile time is a small constant, so its\n"
          "relative error is mostly that noise.")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
