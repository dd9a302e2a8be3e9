"""hloscope's FLOPs against XLA's own cost analysis, module by module.

For every ``*.hlo`` under the given folders (recursively; a file is taken as
it is): XLA reads the text (``jaxlib._hlo.hlo_module_from_text``; a text it
refuses is skipped and counted) and counts its FLOPs
(``jaxlib._jax.hlo_module_cost_analysis`` on the CPU client: XLA's
HloCostAnalysis); hloscope reads the same text (``parse_hlo``) and counts
them (``module_flops``). A module agrees when hloscope's ``total_flops`` is
within 1% of XLA's figure (exactly 0 where XLA says 0), or is declared
incomplete (``uncounted_opcodes`` not empty).

What differs by design, and how the comparison stays fair:

- while loops: XLA counts a while body and condition once; hloscope
  multiplies the body by the trip count and the condition by the trip count
  + 1. Here hloscope counts them once too (``module_flops(module,
  loops_once=True)``), so each loop's rules are still compared.
- custom-calls: XLA counts each as -1 FLOPs (its "unknown"), hloscope lists
  them in ``uncounted_opcodes``; such a module is declared incomplete (its
  figures are printed with ``--verbose``).
- conditionals: both take the largest branch's FLOPs.
- fusions, calls, async-starts: both count the called computation's
  instructions.

    python benchmarks/flops_agreement.py DIR... [--verbose]

Prints the counts and every disagreeing module with both figures; exits 1
on an undeclared disagreement or a text XLA reads and hloscope refuses.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOLERANCE = 0.01

HANDLING = """How differences by design are handled:
  while loops    XLA counts a body and condition once: hloscope is run with loops_once=True here
                 (by default it multiplies the body by the trip count, the condition by trips + 1)
  custom-calls   XLA counts each as -1 FLOPs (unknown); hloscope lists them in uncounted_opcodes:
                 the module is declared incomplete
  conditionals   both take the largest branch's FLOPs
  fusions        both count the fused computation's instructions (calls, async-starts likewise)"""


def hlo_files(folders: list[str]) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        path = Path(folder)
        files.extend([path] if path.is_file() else sorted(path.rglob("*.hlo")))
    return files


def agrees(ours: int, theirs: float) -> bool:
    return abs(ours - theirs) <= TOLERANCE * abs(theirs)


def compare(path: Path, client) -> dict:
    """One module's verdict: kind ('xla refuses', 'xla cost fails', 'hloscope refuses', 'agrees',
    'incomplete', 'disagrees') with both figures where there are."""
    from jaxlib import _hlo, _jax

    from hloscope.errors import HloscopeError
    from hloscope.hlo import module_flops, parse_hlo

    text = path.read_text()
    try:
        xla_module = _hlo.hlo_module_from_text(text)
    except Exception as error:  # XLA's refusal: not a module to compare
        return {"kind": "xla refuses", "why": str(error).splitlines()[0]}
    try:
        theirs = _jax.hlo_module_cost_analysis(client, xla_module).get("flops", 0.0)
    except Exception as error:
        return {"kind": "xla cost fails", "why": str(error).splitlines()[0]}
    try:
        flops = module_flops(parse_hlo(text), loops_once=True)
    except HloscopeError as error:
        return {"kind": "hloscope refuses", "why": str(error), "xla": theirs}
    ours = flops["total_flops"]
    verdict = {"xla": theirs, "hloscope": ours, "uncounted": flops["uncounted_opcodes"]}
    if flops["uncounted_opcodes"]:
        return {"kind": "incomplete", **verdict}
    return {"kind": "agrees" if agrees(ours, theirs) else "disagrees", **verdict}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", metavar="DIR")
    parser.add_argument("--verbose", action="store_true", help="also list the incomplete modules")
    args = parser.parse_args(argv)

    import jax

    client = jax.devices("cpu")[0].client
    files = hlo_files(args.folders)
    verdicts = {path: compare(path, client) for path in files}
    kinds = Counter(v["kind"] for v in verdicts.values())
    compared = kinds["agrees"] + kinds["incomplete"] + kinds["disagrees"]

    print(f"hloscope's FLOPs against XLA's HloCostAnalysis (jaxlib CPU client), tolerance {TOLERANCE:.0%}")
    print(HANDLING)
    print(f"files: {len(files)}; XLA refuses {kinds['xla refuses']} (skipped); XLA's cost analysis fails on "
          f"{kinds['xla cost fails']}; hloscope refuses {kinds['hloscope refuses']} that XLA reads")
    print(f"compared: {compared}; agree within 1%: {kinds['agrees']}; declared incomplete: {kinds['incomplete']}; "
          f"disagree: {kinds['disagrees']}")
    uncounted = Counter()
    for verdict in verdicts.values():
        for opcode in verdict.get("uncounted", {}):
            uncounted[opcode] += 1
    if uncounted:
        print("declared incomplete, modules by uncounted opcode: "
              + ", ".join(f"{op} {n}" for op, n in sorted(uncounted.items())))
    for path, verdict in verdicts.items():
        kind = verdict["kind"]
        if kind == "disagrees":
            print(f"  DISAGREES {path}: hloscope {verdict['hloscope']:,} XLA {verdict['xla']:,.0f}")
        elif kind == "hloscope refuses":
            print(f"  HLOSCOPE REFUSES {path}: {verdict['why']}")
        elif kind == "xla cost fails":
            print(f"  XLA COST FAILS {path}: {verdict['why']}")
        elif kind == "incomplete" and args.verbose:
            print(f"  incomplete {path}: hloscope {verdict['hloscope']:,} XLA {verdict['xla']:,.0f} "
                  f"uncounted {verdict['uncounted']}")
    return 1 if kinds["disagrees"] or kinds["hloscope refuses"] else 0


if __name__ == "__main__":
    sys.exit(main())
