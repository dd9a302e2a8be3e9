"""Scan against both unrolled constructions, and an independent check of hloscope's unroll/scan ratio.

1. hloscope: the sweep ``analyze`` runs (worker process, cold repeats) over
   scan, unroll (L separate modules) and unroll-sliced (slices of the stacked
   arrays inside the jit). Per L: trace and compile (median, min-max), their
   ratios, and the pre-optimization entry parameters.
2. Independent, right after it: a few lines of plain jax/flax below (not
   hloscope's stacking): an nnx.List of L separately built blocks against
   nnx.scan over a vmap-stacked module, cold compiles (jax.clear_caches, a
   fresh function, persistent cache off), median of --repeats. Its
   unroll/scan compile ratio is printed beside hloscope's, and whether they
   agree within a factor 1.67 (exit status 1 if not).
3. Why slicing costs more: per layer, the post-optimization op counts that
   differ between unroll and unroll-sliced (slopes between the two largest L
   of the sweep), and the fusions by kind and name (compiled at L = 2 and 4).

    python benchmarks/baselines.py [--layers 16,64] [--repeats 3]
    python benchmarks/baselines.py --model PATH.py:FACTORY --input-shape 1,64,256 --layers 2,16,48

Default model: the built-in transformer (d_model 256, 4 heads, sequence 64).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time

from _engine import SweepConfig, results_or_sweep

VARIANTS = ("scan", "unroll", "unroll-sliced")
AGREEMENT = 1.67


def hloscope_side(results, model: str) -> dict[tuple[str, int], object]:
    points = {(p.variant, p.layers): p for p in results.points if p.model == model}
    layers = sorted({L for _, L in points})
    print(f"hloscope ({model}): cold repeats, median (min-max), seconds")
    print(f"{'L':>4} {'variant':14} {'trace':>22} {'compile':>22} {'entry params':>13}  equals scan (max |diff|)")
    for L in layers:
        for v in VARIANTS:
            p = points.get((v, L))
            if p is None or not p.ok:
                print(f"{L:>4} {v:14} {'failed: ' + (p.error if p else 'not measured')}")
                continue
            eq = p.extra.get("equivalence")
            same = "reference" if eq is None else f"{'yes' if eq.get('ok') else 'NO'} ({eq.get('max_abs_diff')})"
            print(f"{L:>4} {v:14} {_stats(p.timing['trace_s']):>22} {_stats(p.timing['compile_s']):>22} "
                  f"{p.hlo['pre'].get('entry_parameters', 'n/a'):>13}  {same}")
        ratios = []
        for num, den in (("unroll", "scan"), ("unroll-sliced", "scan"), ("unroll-sliced", "unroll")):
            for metric in ("compile_s", "trace_s"):
                a, b = _value(points, num, L, metric), _value(points, den, L, metric)
                if a and b:
                    ratios.append(f"{num}/{den} {metric.split('_')[0]} {a / b:.2f}x")
        unroll = points.get(("unroll", L))
        if unroll is not None and unroll.ok:
            count, per_layer = unroll.hlo["pre"].get("entry_parameters"), unroll.extra.get("arrays_per_layer")
            if isinstance(count, int) and isinstance(per_layer, int):
                ratios.append(f"unroll entry params >= L x {per_layer} arrays per layer: "
                              f"{'yes' if count >= L * per_layer else 'NO'}")
        print("     " + "; ".join(ratios))
    return points


def _value(points, variant, L, metric):
    p = points.get((variant, L))
    return p.value(metric) if p is not None and p.ok else None


def _stats(stats: dict) -> str:
    return f"{stats['median']:.3f} ({stats['min']:.3f}-{stats['max']:.3f})"


def per_layer_opt(points) -> None:
    """Post-optimization fusions and op counts per layer, slopes between the two largest L."""
    layers = sorted({L for (v, L), p in points.items() if p.ok and v in ("unroll", "unroll-sliced")})
    if len(layers) < 2:
        print("per layer: needs two layer counts")
        return
    low, high = layers[-2], layers[-1]
    slopes = {}
    for v in ("unroll", "unroll-sliced"):
        counts = {L: dict(points[(v, L)].hlo["opt"]["op_counts"]) for L in (low, high)}
        for L in (low, high):
            counts[L]["(fused computations)"] = points[(v, L)].hlo["opt"].get("fused_computations", 0)
            counts[L]["(instructions)"] = points[(v, L)].hlo["opt"]["instructions"]
        ops = set(counts[low]) | set(counts[high])
        slopes[v] = {op: (counts[high].get(op, 0) - counts[low].get(op, 0)) / (high - low) for op in ops}
    print(f"\nper layer after optimization (slope between L = {low} and {high}), where unroll and unroll-sliced differ:")
    print(f"{'op':22} {'unroll':>8} {'unroll-sliced':>14}")
    ops = sorted(set(slopes["unroll"]) | set(slopes["unroll-sliced"]),
                 key=lambda op: -abs(slopes["unroll-sliced"].get(op, 0) - slopes["unroll"].get(op, 0)))
    for op in ops:
        a, b = slopes["unroll"].get(op, 0), slopes["unroll-sliced"].get(op, 0)
        if abs(a - b) > 1e-9 or op.startswith("("):
            print(f"{op:22} {a:>8.2f} {b:>14.2f}")


def fusion_kinds(spec, layers=(2, 4)) -> None:
    """Post-optimization fusions per layer by kind and name, unroll against unroll-sliced.

    Compiled here (not timed) at two small L: the per-layer structure does
    not depend on L. Each kLoop fusion is a kernel XLA's CPU backend emits
    with LLVM; kCustom fusions here hand dots to a library.
    """
    import collections
    import re

    import jax

    from hloscope.hlo import parse_hlo
    from hloscope.models.stacking import build_stack, forward_of

    low, high = layers
    counts = {}
    for v in ("unroll", "unroll-sliced"):
        for L in layers:
            forward = forward_of(build_stack(spec, L), v, spec.make_input())
            module = parse_hlo(jax.jit(forward.fn).lower(*forward.args).compile().as_text())
            found = collections.Counter()
            for inst in module.entry.instructions:
                if inst.opcode == "fusion":
                    name = re.sub(r"(\.\d+)+$", "", inst.name)
                    found[f"{inst.attributes.get('kind', '?')} {name}"] += 1
            counts[(v, L)] = found
    slope = {v: {k: (counts[(v, high)][k] - counts[(v, low)][k]) / (high - low)
                 for k in set(counts[(v, high)]) | set(counts[(v, low)])} for v in ("unroll", "unroll-sliced")}
    print(f"\nfusions per layer by kind and name (compiled at L = {low} and {high}):")
    print(f"{'fusion':40} {'unroll':>8} {'unroll-sliced':>14}")
    for key in sorted(set(slope["unroll"]) | set(slope["unroll-sliced"])):
        a, b = slope["unroll"].get(key, 0), slope["unroll-sliced"].get(key, 0)
        if a or b:
            print(f"{key:40} {a:>8.2f} {b:>14.2f}")


def load_block(source: str):
    """FACTORY from PATH.py:FACTORY, imported here with importlib (not hloscope's loader)."""
    path, _, name = source.rpartition(":")
    spec = importlib.util.spec_from_file_location("independent_block", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def independent(factory, shape, dtype: str, L: int, repeats: int) -> dict[str, tuple[float, float]]:
    """Median (trace+lower seconds, compile seconds) of separate modules and of nnx.scan, in plain jax/flax."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    jax.config.update("jax_enable_compilation_cache", False)
    x = jax.random.normal(jax.random.key(0), shape, dtype=jnp.dtype(dtype))

    blocks = nnx.List([factory(nnx.Rngs(i)) for i in range(L)])
    list_def, list_state = nnx.split(blocks)

    def unrolled(state, x):
        for block in nnx.merge(list_def, state):
            x = block(x)
        return x

    @nnx.split_rngs(splits=L)
    @nnx.vmap(in_axes=(0,), out_axes=0)
    def make_stack(rngs):
        return factory(rngs)

    stack_def, stack_state = nnx.split(make_stack(nnx.Rngs(0)))

    def scanned(state, x):
        @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=nnx.Carry)
        def body(x, block):
            return block(x)

        return body(x, nnx.merge(stack_def, state))

    timings = {}
    for name, fn, state in (("scan", scanned, stack_state), ("unroll", unrolled, list_state)):
        trace_s, compile_s = [], []
        for _ in range(repeats):
            jax.clear_caches()
            fresh = lambda *args, fn=fn: fn(*args)  # noqa: E731 - a new object: jit caches on identity
            start = time.perf_counter()
            traced = jax.jit(fresh).trace(state, x)
            lowered = traced.lower()
            middle = time.perf_counter()
            lowered.compile()
            compile_s.append(time.perf_counter() - middle)
            trace_s.append(middle - start)
        timings[name] = (statistics.median(trace_s), statistics.median(compile_s))
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="transformer", help="built-in transformer, or PATH.py:FACTORY")
    parser.add_argument("--input-shape", help="the block's input shape, for PATH.py:FACTORY")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--layers", default="16,64")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--results", help="results.json or run folder to read instead of measuring hloscope's side")
    args = parser.parse_args()
    layers = tuple(int(x) for x in args.layers.split(","))
    shape = tuple(int(x) for x in args.input_shape.split(",")) if args.input_shape else None
    config = SweepConfig(models=(args.model,), variants=VARIANTS, layers=layers, repeats=args.repeats,
                         input_shape=shape, dtype=args.dtype)
    results = results_or_sweep(args.results, config, quiet=True)
    model = config.model_names()[0]
    points = hloscope_side(results, model)

    if args.model == "transformer":
        from hloscope.models.zoo import TransformerBlock

        factory, shape = (lambda rngs: TransformerBlock(256, 4, rngs=rngs)), (1, 64, 256)
    else:
        factory = load_block(args.model)
    print("\nindependent (plain jax/flax in this script): nnx.List of L separately built blocks vs nnx.scan over a "
          f"vmap-stacked module, median of {args.repeats} cold compiles, seconds (trace = trace + lower)")
    print(f"{'L':>4} {'scan trace':>11} {'scan compile':>13} {'unroll trace':>13} {'unroll compile':>15} "
          f"{'ratio':>7} {'hloscope':>9} {'agree':>6}")
    agreed = True
    for L in layers:
        t = independent(factory, shape, args.dtype, L, args.repeats)
        ratio = t["unroll"][1] / t["scan"][1]
        ours = (_value(points, "unroll", L, "compile_s") or 0) / (_value(points, "scan", L, "compile_s") or float("inf"))
        apart = max(ratio / ours, ours / ratio) if ours else float("inf")
        agreed &= apart <= AGREEMENT
        print(f"{L:>4} {t['scan'][0]:>11.3f} {t['scan'][1]:>13.3f} {t['unroll'][0]:>13.3f} {t['unroll'][1]:>15.3f} "
              f"{ratio:>6.2f}x {ours:>8.2f}x {'yes' if apart <= AGREEMENT else 'NO':>6}")
    print(f"\nunroll/scan compile ratio, hloscope against independent, within a factor {AGREEMENT}: "
          f"{'yes' if agreed else 'NO'}")

    # Why the sliced form costs more: what XLA builds per layer (counts, not timings).
    from hloscope.run.checks import resolve_model

    per_layer_opt(points)
    fusion_kinds(resolve_model(config, model))
    return 0 if agreed else 1


if __name__ == "__main__":
    raise SystemExit(main())
