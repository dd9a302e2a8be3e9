"""Fuzz the HLO parser with mutations of real modules.

Each input is a valid module (the property test's corpus, tests/hlo_mutations.py,
and, unless --no-jax, the JAX programs of tests/hlo_cases/jax_programs.py before
and after optimization) with one to three of the property test's mutations:
truncation, character flips, deletions, token swaps, duplicated spans, inserted
special characters or deep nesting of parentheses, braces and brackets. Each must parse, or raise
HloParseError, within --timeout seconds; what parses is also summarised and
its attributes decoded (unless --no-analyse).

    python benchmarks/fuzz_parser.py [--count 10000] [--seed 0] [--timeout 10] [--no-jax]

Prints inputs tried, outcome counts and the slowest input; exits 1 on any
other exception or a hang, saving the input under --save-dir.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The mutation corpus and mutations are the property test's own.
sys.path.insert(0, str(ROOT / "tests"))

from hlo_mutations import CASES, CORPUS, random_mutation  # noqa: E402

from hloscope.hlo import HloParseError, parse_hlo, summarize_module  # noqa: E402


class Hang(Exception):
    """An input took longer than the time bound."""


def load_corpus(with_jax: bool) -> list[str]:
    corpus = list(CORPUS)
    if with_jax:
        env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
        done = subprocess.run(
            [sys.executable, str(CASES / "jax_programs.py")], capture_output=True, text=True, env=env, check=False
        )
        if done.returncode == 0:
            corpus.extend(json.loads(done.stdout).values())
        else:
            print("could not generate JAX modules; fuzzing the hand-written cases only", file=sys.stderr)
    return corpus


def _on_alarm(signum, frame):
    raise Hang()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="inputs to try (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds allowed per input (default 10)")
    parser.add_argument("--no-jax", action="store_true", help="skip the generated JAX modules")
    parser.add_argument(
        "--no-analyse", dest="analyse", action="store_false", help="only parse; do not summarise what parses"
    )
    parser.add_argument("--save-dir", default="fuzz-failures", help="where failing inputs are written")
    args = parser.parse_args(argv)

    corpus = load_corpus(not args.no_jax)
    rng = random.Random(args.seed)
    outcomes: Counter[str] = Counter()
    mutations: Counter[str] = Counter()
    slowest_s, slowest_kinds = 0.0, ""
    failures = 0
    signal.signal(signal.SIGALRM, _on_alarm)
    start = time.perf_counter()
    for index in range(args.count):
        text = rng.choice(corpus)
        kinds = []
        for _ in range(rng.randint(1, 3)):
            text, kind = random_mutation(text, rng)
            kinds.append(kind)
        mutations.update(kinds)
        began = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, args.timeout)
        try:
            module = parse_hlo(text)
            if args.analyse:
                # What parses must also summarise and decode its attributes.
                summarize_module(module)
                for inst in module.instructions():
                    inst.attributes
            outcome = "parsed"
        except HloParseError:
            outcome = "HloParseError"
        except Hang:
            outcome = "hang"
        except Exception:  # noqa: BLE001 - any other exception is the bug this looks for
            outcome = "other exception"
            traceback.print_exc()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        elapsed = time.perf_counter() - began
        if elapsed > slowest_s:
            slowest_s, slowest_kinds = elapsed, "+".join(kinds)
        outcomes[outcome] += 1
        if outcome in ("hang", "other exception"):
            failures += 1
            save = Path(args.save_dir)
            save.mkdir(parents=True, exist_ok=True)
            (save / f"input_{index}.hlo").write_text(text, encoding="utf-8", errors="surrogatepass")
            print(f"input {index} ({'+'.join(kinds)}): {outcome}; saved to {save / f'input_{index}.hlo'}")
    total_s = time.perf_counter() - start
    print(f"inputs tried: {args.count} (corpus of {len(corpus)} modules, seed {args.seed})")
    print("outcomes: " + ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())))
    print("mutations: " + ", ".join(f"{name} {count}" for name, count in sorted(mutations.items())))
    print(f"max time per input: {slowest_s * 1000:.1f} ms ({slowest_kinds}); total {total_s:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
