"""Parse speed of hloscope's HLO parser against XLA's own, side by side.

Generates the pre- and post-optimization HLO of the built-in pre-LN transformer
stack, UNROLLED (96 layers by default: LayerNorm, 4-head attention with d_model
256, residual, LayerNorm, 4x GELU MLP, residual; sequence 64, batch 1), then parses
each text with ``hloscope.hlo.parse_hlo`` and with
``jaxlib._hlo.hlo_module_from_text``, alternating, and prints MB/s (median of
the runs) and the ratio. It also prints what parsing allocates (tracemalloc)
as a multiple of the text size.

    python benchmarks/parse_speed.py [--layers 96] [--repeats 7] [--check] [--cache-dir DIR]

``--check`` exits 1 when hloscope is slower than XLA on either text.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

D_MODEL = 256
NUM_HEADS = 4
SEQ_LEN = 64
BATCH = 1


def transformer_hlo_texts(num_layers: int = 96, seed: int = 0) -> tuple[str, str]:
    """(pre-optimization HLO, post-optimization HLO) of an unrolled transformer stack."""
    import jax

    from hloscope.models.stacking import build_stack, forward_of
    from hloscope.models.zoo import transformer_model

    # The built-in transformer, stacked and unrolled exactly as ``analyze`` does it.
    spec = transformer_model(D_MODEL, NUM_HEADS, SEQ_LEN, BATCH)
    forward = forward_of(build_stack(spec, num_layers, seed), "unroll", spec.make_input())
    lowered = jax.jit(forward.fn).lower(*forward.args)
    return lowered.as_text(dialect="hlo"), lowered.compile().as_text()


def _time_once(fn, text: str) -> float:
    start = time.perf_counter()
    fn(text)
    return time.perf_counter() - start


def measure(label: str, text: str, repeats: int) -> float:
    """Print MB/s of both parsers on ``text``; return hloscope's speed over XLA's."""
    from jaxlib import _hlo

    from hloscope.hlo import parse_hlo

    megabytes = len(text.encode("utf-8")) / 1e6
    ours_module = parse_hlo(text)
    xla_module = _hlo.hlo_module_from_text(text)
    xla_instructions = sum(len(c.instructions()) for c in xla_module.computations())
    del xla_module
    ours_s, xla_s = [], []
    for _ in range(repeats):
        # Alternate so that machine noise falls on both alike.
        gc.collect()
        ours_s.append(_time_once(parse_hlo, text))
        gc.collect()
        xla_s.append(_time_once(_hlo.hlo_module_from_text, text))
    ours_mbps = megabytes / statistics.median(ours_s)
    xla_mbps = megabytes / statistics.median(xla_s)
    ratio = ours_mbps / xla_mbps

    del ours_module
    gc.collect()
    tracemalloc.start()
    module = parse_hlo(text)
    held_bytes, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    text_bytes = len(text.encode("utf-8"))
    print(
        f"{label}: {megabytes:.2f} MB, {module.instruction_count} instructions "
        f"(XLA: {xla_instructions}), {len(module.computations)} computations"
    )
    print(
        f"  hloscope {ours_mbps:7.1f} MB/s   XLA {xla_mbps:7.1f} MB/s   ratio {ratio:.2f}x "
        f"(median of {repeats}; min {megabytes / min(ours_s):.1f} vs {megabytes / min(xla_s):.1f} MB/s)"
    )
    print(
        f"  memory: peak {peak_bytes / 1e6:.1f} MB ({peak_bytes / text_bytes:.1f}x text), "
        f"held {held_bytes / 1e6:.1f} MB ({held_bytes / text_bytes:.1f}x text)"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=96, help="layers in the unrolled stack (default 96)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per parser and text (default 7)")
    parser.add_argument("--check", action="store_true", help="exit 1 when hloscope is slower than XLA")
    parser.add_argument(
        "--cache-dir", help="keep the generated texts here and reuse them on the next run (same --layers)"
    )
    args = parser.parse_args(argv)

    cache = Path(args.cache_dir) / f"transformer_{args.layers}" if args.cache_dir else None
    if cache is not None and (cache / "pre.hlo").exists() and (cache / "post.hlo").exists():
        pre_text, post_text = (cache / "pre.hlo").read_text(), (cache / "post.hlo").read_text()
        print(f"read {args.layers}-layer unrolled transformer HLO from {cache}")
    else:
        start = time.perf_counter()
        pre_text, post_text = transformer_hlo_texts(args.layers)
        print(f"generated {args.layers}-layer unrolled transformer HLO in {time.perf_counter() - start:.1f} s")
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            (cache / "pre.hlo").write_text(pre_text)
            (cache / "post.hlo").write_text(post_text)
    ratios = [
        measure("pre-optimization", pre_text, args.repeats),
        measure("post-optimization", post_text, args.repeats),
    ]
    if args.check and min(ratios) < 1.0:
        print("hloscope is slower than XLA's parser")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
