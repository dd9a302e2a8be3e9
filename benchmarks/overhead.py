"""hloscope's own analysis time as a share of the compile time it measured.

Runs the default transformer sweep (scan and unroll, L = 1..96, 3 repeats)
unless --results names a run that already holds it, and prints, per point and
in total, ``analysis_s`` (parsing and analysing the pre- and post-optimization
HLO once) against the median backend compile time of that point (one
compile, the conservative base) and against all its compile repeats.

    python benchmarks/overhead.py [--results reports/RUN] [--layers 1,2,...] [--repeats 3]

Target: total analysis_s at most 5% of total median compile_s.
"""

from __future__ import annotations

import argparse

from _engine import SweepConfig, results_or_sweep

TARGET = 0.05


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", help="results.json or run folder to read instead of measuring")
    parser.add_argument("--layers", default="1,2,4,8,16,32,64,96")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    config = SweepConfig(models=("transformer",), layers=tuple(int(x) for x in args.layers.split(",")),
                         repeats=args.repeats)
    results = results_or_sweep(args.results, config)
    points = [p for p in results.points if p.ok and p.model == "transformer" and "analysis_s" in p.timing]
    if not points:
        print("no ok transformer points with analysis_s")
        return 1
    print(f"{'variant':8} {'L':>4} {'analysis':>10} {'compile (median)':>17} {'share':>7}")
    total_analysis = total_median = total_all = 0.0
    for p in sorted(points, key=lambda p: (p.variant, p.layers)):
        analysis_s = p.timing["analysis_s"]
        compile_stats = p.timing["compile_s"]
        total_analysis += analysis_s
        total_median += compile_stats["median"]
        total_all += sum(compile_stats["samples"])
        print(f"{p.variant:8} {p.layers:>4} {analysis_s * 1e3:>8.1f}ms {compile_stats['median']:>16.3f}s "
              f"{analysis_s / compile_stats['median']:>7.1%}")
    share = total_analysis / total_median
    print(f"\ntotal analysis_s {total_analysis:.3f} s; total median compile_s {total_median:.2f} s; "
          f"share {share:.2%} (of all {sum(len(p.timing['compile_s']['samples']) for p in points)} "
          f"compile repeats: {total_analysis / total_all:.2%})")
    print(f"target <= {TARGET:.0%}: {'met' if share <= TARGET else 'MISSED'}")
    return 0 if share <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
