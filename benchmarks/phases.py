"""Whether collecting compile phases disturbs the timed repeats, and what it costs.

Lowers each point (linear model, F=256 by default) alternately with and
without phase collection (``lower_cold(..., phases=True/False)``), --rounds
times each, in this one process, and prints per point:

- ``timed on/off``: the median of the timed repeats' compile_s with phase
  collection and without, and their ratio. The phases come from one more
  compile after the repeats, so the ratio should sit inside the repeats'
  own spread (``spread``: slowest repeat / fastest, over all rounds);
- ``profiled``: the phase compile's own compile_s (run under jax.profiler)
  over the timed median without collection: what the profiler does to a compile;
- ``coverage``: (hlo_passes_s + backend_s) / the timed median compile_s
  (the figures a report sets side by side; 0.6..1.6 is the acceptance band);
- ``extra``: the wall time phase collection adds to the point, as a share.

    python benchmarks/phases.py [--layers 8,32] [--variants scan,unroll] [--features 256]
                                [--repeats 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="8,32")
    parser.add_argument("--variants", default="scan,unroll")
    parser.add_argument("--features", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from hloscope.models import build_forward, builtin_model
    from hloscope.run.lowering import lower_cold

    spec = builtin_model("linear", args.features)
    x = spec.make_input()
    print(f"{'variant':8} {'L':>4} {'timed off':>10} {'timed on':>10} {'on/off':>7} {'spread':>7} "
          f"{'profiled':>9} {'coverage':>9} {'extra':>7}")
    worst = 0.0
    for variant in args.variants.split(","):
        for layers in (int(v) for v in args.layers.split(",")):
            forward = build_forward(spec, variant, layers, x, 0)
            samples = {False: [], True: []}
            wall = {False: [], True: []}
            phases = []
            for _ in range(args.rounds):
                for collect in (False, True):
                    start = time.perf_counter()
                    lowering = lower_cold(lambda: forward, args.repeats, run=False, phases=collect)
                    wall[collect].append(time.perf_counter() - start)
                    samples[collect] += lowering.compile_s
                    if collect:
                        phases.append(lowering.compile_phases)
            off, on = statistics.median(samples[False]), statistics.median(samples[True])
            every = samples[False] + samples[True]
            spread = max(every) / min(every)
            profiled = statistics.median(p["compile_s"] for p in phases) / off
            coverage = statistics.median((p["hlo_passes_s"] + p["backend_s"]) for p in phases) / off
            extra = statistics.median(wall[True]) / statistics.median(wall[False]) - 1
            worst = max(worst, abs(on / off - 1) - (spread - 1))
            print(f"{variant:8} {layers:>4} {off:>9.3f}s {on:>9.3f}s {on / off:>7.3f} {spread:>7.3f} "
                  f"{profiled:>9.3f} {coverage:>9.3f} {extra:>7.1%}")
    print("\non/off inside the spread at every point" if worst <= 0 else
          f"\non/off outside the spread somewhere (by {worst:.3f}): rerun on a quieter machine")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
