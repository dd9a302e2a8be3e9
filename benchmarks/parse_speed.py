"""Parse + walk speed of hloscope's HLO parser against XLA's own, side by side.

Two sets of input, each measured in the same run for both parsers:

- the built-in pre-LN transformer stack, UNROLLED (96 layers by default: d_model
  256, 4 heads, sequence 64, batch 1), before and after optimization, built
  through hloscope's own model code exactly as ``analyze`` builds it;
- many small modules, each parsed from scratch (hloscope's memos of shape
  and attribute texts emptied before each; a second line keeps them, as
  one process reading many files does): the hand-written cases of
  tests/hlo_cases, the JAX programs of tests/hlo_cases/jax_programs.py before
  and after optimization, and every ``*.hlo`` under ``--corpus DIR`` (for
  example a checkout's XLA test and benchmark modules).

"Parse + walk" is what a tool does with a module: parse the text, then read
the name, opcode and operand names of every instruction of every
computation. hloscope: ``parse_hlo`` and its records; XLA:
``jaxlib._hlo.hlo_module_from_text``, then ``computations()``,
``instructions()``, ``.name``, ``.opcode``, ``operands()``. The two parsers
alternate within every repeat so that machine noise falls on both alike; the
figures are medians over the repeats, with min and max. Memory is
tracemalloc's peak while ``parse_hlo`` runs, as a multiple of the text's
size.

    python benchmarks/parse_speed.py [--layers 96] [--repeats 7] [--corpus DIR] [--cache-dir DIR] [--check]

``--check`` exits 1 unless hloscope is at least 2x XLA's speed on both sets
and its peak memory on the transformer's texts is at most 3x the text.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

D_MODEL = 256
NUM_HEADS = 4
SEQ_LEN = 64
BATCH = 1
CASES = ROOT / "tests" / "hlo_cases"
TARGET_RATIO = 2.0
TARGET_MEMORY = 3.0


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


def small_module_texts(corpus: str | None) -> list[str]:
    """The hand-written cases, the test suite's JAX programs and ``corpus``'s ``*.hlo`` files."""
    texts = [path.read_text() for path in sorted(CASES.glob("*.hlo"))]
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    done = subprocess.run(
        [sys.executable, str(CASES / "jax_programs.py")], capture_output=True, text=True, env=env, check=True
    )
    texts.extend(json.loads(done.stdout).values())
    if corpus:
        texts.extend(path.read_text(errors="replace") for path in sorted(Path(corpus).rglob("*.hlo")))
    return texts


def walk_hloscope(text: str, keep_memos: bool = False) -> int:
    from hloscope.hlo import parse_hlo
    from hloscope.hlo.memos import clear_memos

    if not keep_memos:
        clear_memos()  # from scratch, as XLA parses each text
    module = parse_hlo(text)
    count = 0
    for computation in module.computations.values():
        for inst in computation.instructions:
            inst.name, inst.opcode, inst.operands
            count += 1
    return count


def walk_xla(text: str) -> int:
    from jaxlib import _hlo

    module = _hlo.hlo_module_from_text(text)
    count = 0
    for computation in module.computations():
        for inst in computation.instructions():
            inst.name, inst.opcode, [operand.name for operand in inst.operands()]
            count += 1
    return count


def _usable(texts: list[str]) -> list[str]:
    """Texts both parsers read (a corpus may hold text XLA or hloscope refuses)."""
    from hloscope.hlo import HloParseError

    kept = []
    for text in texts:
        try:
            walk_hloscope(text)
            walk_xla(text)
        except (HloParseError, RuntimeError, ValueError):
            continue
        kept.append(text)
    return kept


def measure(label: str, texts: list[str], repeats: int, keep_memos: bool = False) -> float:
    """Print both parsers' speed on ``texts``; return hloscope's / XLA's.

    Each text is parsed from scratch unless ``keep_memos``: then hloscope
    keeps what it learnt of shapes and attribute texts from one parse to the
    next, as it does within one process (``inspect`` of many files).
    """
    megabytes = sum(len(text.encode("utf-8")) for text in texts) / 1e6
    ours_s, xla_s = [], []
    ours = functools.partial(walk_hloscope, keep_memos=keep_memos)
    for _ in range(repeats):
        for walk, times in ((ours, ours_s), (walk_xla, xla_s)):
            gc.collect()
            start = time.perf_counter()
            for text in texts:
                walk(text)
            times.append(time.perf_counter() - start)
    ratios = sorted(x / o for o, x in zip(ours_s, xla_s))
    ratio = statistics.median(ratios)
    print(f"{label}: {len(texts)} module(s), {megabytes:.2f} MB, {sum(map(walk_hloscope, texts))} instructions")
    print(
        f"  parse + walk: hloscope {megabytes / statistics.median(ours_s):7.1f} MB/s   "
        f"XLA {megabytes / statistics.median(xla_s):7.1f} MB/s   "
        f"hloscope/XLA {ratio:.2f}x (median of {repeats} alternating runs; min {ratios[0]:.2f}x, max {ratios[-1]:.2f}x)"
    )
    return ratio


def peak_memory_ratio(text: str) -> float:
    """tracemalloc's peak while parsing ``text`` from scratch, over the text's size in bytes."""
    from hloscope.hlo import parse_hlo
    from hloscope.hlo.memos import clear_memos

    clear_memos()
    gc.collect()
    tracemalloc.start()
    module = parse_hlo(text)
    _, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del module
    return peak_bytes / len(text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=96, help="layers in the unrolled stack (default 96)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per parser and set (default 7)")
    parser.add_argument("--corpus", help="also time every *.hlo file under this folder, as small modules")
    parser.add_argument("--check", action="store_true", help="exit 1 below 2x XLA's speed or above 3x memory")
    parser.add_argument("--cache-dir", help="keep the transformer's texts here and reuse them (same --layers)")
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
    small = _usable(small_module_texts(args.corpus))
    ratios = [
        measure(f"{args.layers}-layer unrolled transformer, pre + post optimization", [pre_text, post_text], args.repeats),
        measure("many small modules", small, args.repeats),
    ]
    measure("many small modules, hloscope's memos kept from one parse to the next", small, args.repeats, True)
    memory = {"pre-optimization": peak_memory_ratio(pre_text), "post-optimization": peak_memory_ratio(post_text)}
    print(
        "peak memory while parsing the transformer: "
        + ", ".join(f"{label} {value:.2f}x the text" for label, value in memory.items())
    )
    print("(timings are from a shared machine unless said otherwise; compare ratios, not absolute speeds)")
    if args.check and (min(ratios) < TARGET_RATIO or max(memory.values()) > TARGET_MEMORY):
        print(f"below target: {TARGET_RATIO}x XLA's speed and at most {TARGET_MEMORY}x the text in memory")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
