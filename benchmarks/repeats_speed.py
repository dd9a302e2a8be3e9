"""Repeated-block detection against parsing, side by side.

Times ``hloscope.hlo.parse_hlo`` and ``hloscope.hlo.repeats.find_repeated_blocks``
on the same texts and prints both (median of the runs, min and max in
brackets) and their ratio:

- the built-in transformer stack, unrolled (96 layers by default), before and
  after optimization, as ``analyze`` lowers it (``benchmarks/parse_speed.py``
  generates it the same way);
- worst cases written here, with ``--instructions`` computed instructions in
  one computation and then twice as many (near linear: twice the time): one
  instruction repeated (every position starts a copy), no repeats (every
  instruction distinct), and one opcode and shape with random wiring (every
  position looks alike until its operands are compared).

    python benchmarks/repeats_speed.py [--layers 96] [--instructions 20000] [--repeats 5] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def one_instruction_repeated(count: int) -> str:
    """``count`` adds in a chain, each reading the previous one and a shared parameter."""
    lines = ["HloModule one_instruction", "ENTRY main {", "  x0 = f32[8]{0} parameter(0)", "  b = f32[8]{0} parameter(1)"]
    lines += [f"  x{i} = f32[8]{{0}} add(x{i - 1}, b)" for i in range(1, count + 1)]
    lines += [f"  ROOT out = f32[8]{{0}} negate(x{count})", "}"]
    return "\n".join(lines) + "\n"


def no_repeats(count: int) -> str:
    """``count`` instructions that all differ: each pads the previous one to a longer shape."""
    lines = ["HloModule no_repeats", "ENTRY main {", "  x0 = f32[1]{0} parameter(0)", "  zero = f32[] constant(0)"]
    lines += [f"  x{i} = f32[{i + 1}]{{0}} pad(x{i - 1}, zero), padding=0_1" for i in range(1, count + 1)]
    lines += [f"  ROOT out = f32[{count + 1}]{{0}} negate(x{count})", "}"]
    return "\n".join(lines) + "\n"


def random_wiring(count: int, seed: int = 0) -> str:
    """``count`` adds of one shape, each reading two of the 64 instructions before it at random."""
    rng = random.Random(seed)
    lines = ["HloModule random_wiring", "ENTRY main {", "  x0 = f32[8]{0} parameter(0)"]
    for i in range(1, count + 1):
        a, b = rng.randrange(max(0, i - 64), i), rng.randrange(max(0, i - 64), i)
        lines.append(f"  x{i} = f32[8]{{0}} add(x{a}, x{b})")
    lines += [f"  ROOT out = f32[8]{{0}} negate(x{count})", "}"]
    return "\n".join(lines) + "\n"


def _spread(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1e3:7.1f} ms ({min(samples) * 1e3:.1f}-{max(samples) * 1e3:.1f})"


def measure(label: str, text: str, repeats: int) -> float:
    """Print parse and detection times of ``text`` and what was found; return the detection median."""
    from hloscope.hlo import parse_hlo
    from hloscope.hlo.repeats import find_repeated_blocks

    parse_s, detect_s = [], []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        module = parse_hlo(text)
        parsed = time.perf_counter()
        blocks = find_repeated_blocks(module)
        detect_s.append(time.perf_counter() - parsed)
        parse_s.append(parsed - start)
    ratio = statistics.median(detect_s) / statistics.median(parse_s)
    print(f"{label}: {len(text.encode('utf-8')) / 1e6:.2f} MB, {module.instruction_count} instructions")
    print(f"  parse {_spread(parse_s)}   detect {_spread(detect_s)}   detect/parse {ratio:.2f}")
    layers = [b for b in blocks if b.layers]
    found = ", ".join(f"{b.count} copies of {b.instructions} in {b.computation}" for b in layers) or "none"
    print(f"  layers found: {found}; other repeated blocks: {len(blocks) - len(layers)}")
    return statistics.median(detect_s)


def worst_case(label: str, make, count: int, repeats: int) -> None:
    """Measure ``make(count)`` and ``make(2 * count)``: near linear doubles the time."""
    once = measure(f"worst case: {label} ({count})", make(count), repeats)
    twice = measure(f"worst case: {label} ({2 * count})", make(2 * count), repeats)
    print(f"  twice the instructions take {twice / once:.2f}x the detection time")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=96, help="layers in the unrolled transformer (default 96)")
    parser.add_argument("--instructions", type=int, default=20000, help="size of the worst cases (default 20000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per text (default 5)")
    parser.add_argument("--cache-dir", help="keep the generated transformer texts here and reuse them")
    args = parser.parse_args(argv)

    from parse_speed import transformer_hlo_texts

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
    measure(f"transformer, {args.layers} layers unrolled, before optimization", pre_text, args.repeats)
    measure(f"transformer, {args.layers} layers unrolled, after optimization", post_text, args.repeats)
    n = args.instructions
    worst_case("one instruction repeated", one_instruction_repeated, n, args.repeats)
    worst_case("instructions that all differ", no_repeats, n, args.repeats)
    worst_case("adds with random wiring", random_wiring, n, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
