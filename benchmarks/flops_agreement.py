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
  figures are printed with ``--verbose``). Where custom-calls are all it
  leaves out, the rest is still checked: hloscope's total against XLA's
  with its -1 per custom-call added back (exact where no custom-call sits in
  a computation that XLA scales, such as a reducer).
- scan: XLA counts its computation x the elements of its second operand
  (neither once nor per step); hloscope lists it in ``uncounted_opcodes``,
  the module is declared incomplete.
- conditionals: both take the branch with the most FLOPs.
- fusions, calls, async-starts: both count the called computation's
  instructions (a kCustom fusion holding a gather or scatter: that
  instruction alone, as XLA does).

    python benchmarks/flops_agreement.py DIR... [--verbose]

XLA's side runs in a worker process: some texts it reads crash its cost
analysis (a scan without carries), and such a module is counted as "XLA
crashes", the worker restarted. Prints the counts and every disagreeing
module with both figures; exits 1 on an undeclared disagreement or a text
XLA reads and hloscope refuses.
"""

from __future__ import annotations

import argparse
import json
import subprocess
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
  scan           XLA counts its computation x its second operand's elements; hloscope lists it in
                 uncounted_opcodes: the module is declared incomplete
  conditionals   both take the branch with the most FLOPs
  fusions        both count the fused computation's instructions (calls, async-starts likewise; a
                 kCustom fusion holding a gather or scatter: that instruction alone, as in XLA)"""


def hlo_files(folders: list[str]) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        path = Path(folder)
        files.extend([path] if path.is_file() else sorted(path.rglob("*.hlo")))
    return files


def agrees(ours: int, theirs: float) -> bool:
    return abs(ours - theirs) <= TOLERANCE * abs(theirs)


def xla_worker() -> int:
    """Reads file paths, one a line; answers each with one JSON line: XLA's FLOPs or why there are none."""
    import jax
    from jaxlib import _hlo, _jax

    client = jax.devices("cpu")[0].client
    for line in sys.stdin:
        try:
            xla_module = _hlo.hlo_module_from_text(Path(line.rstrip("\n")).read_text())
        except Exception as error:  # XLA's refusal: not a module to compare
            answer = {"kind": "xla refuses", "why": str(error).splitlines()[0]}
        else:
            try:
                answer = {"flops": _jax.hlo_module_cost_analysis(client, xla_module).get("flops", 0.0)}
            except Exception as error:
                answer = {"kind": "xla cost fails", "why": str(error).splitlines()[0]}
        print(json.dumps(answer), flush=True)
    return 0


class XlaFlops:
    """XLA's FLOPs of a file, from a worker process started again after a crash."""

    def __init__(self) -> None:
        self.worker: subprocess.Popen | None = None

    def __call__(self, path: Path) -> dict:
        if self.worker is None:
            self.worker = subprocess.Popen(
                [sys.executable, __file__, "--xla-worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True,
            )
        assert self.worker.stdin is not None and self.worker.stdout is not None
        self.worker.stdin.write(f"{path}\n")
        self.worker.stdin.flush()
        line = self.worker.stdout.readline()
        if not line:
            code = self.worker.wait()
            self.worker = None
            return {"kind": "xla crashes", "why": f"exit status {code}"}
        return json.loads(line)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stdin.close()  # type: ignore[union-attr]
            self.worker.wait()


def compare(path: Path, xla: XlaFlops) -> dict:
    """One module's verdict: kind ('xla refuses', 'xla cost fails', 'xla crashes', 'hloscope refuses',
    'agrees', 'incomplete', 'disagrees') with both figures where there are."""
    from hloscope.errors import HloscopeError
    from hloscope.hlo import module_flops, parse_hlo

    answer = xla(path)
    if "flops" not in answer:
        return answer
    theirs = answer["flops"]
    text = path.read_text()
    try:
        flops = module_flops(parse_hlo(text), loops_once=True)
    except HloscopeError as error:
        return {"kind": "hloscope refuses", "why": str(error), "xla": theirs}
    ours = flops["total_flops"]
    verdict = {"xla": theirs, "hloscope": ours, "uncounted": flops["uncounted_opcodes"]}
    if flops["uncounted_opcodes"]:
        custom_calls = _custom_calls(flops["uncounted_opcodes"])
        if custom_calls is not None:
            verdict["rest_agrees"] = agrees(ours, theirs + custom_calls)
        return {"kind": "incomplete", **verdict}
    return {"kind": "agrees" if agrees(ours, theirs) else "disagrees", **verdict}


def _custom_calls(uncounted: dict) -> int | None:
    """How many custom-calls are all that is left out; None if anything else is."""
    if set(uncounted) <= {"custom-call", "custom-call-start"}:
        return sum(uncounted.values())
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", metavar="DIR")
    parser.add_argument("--verbose", action="store_true", help="also list the incomplete modules")
    parser.add_argument("--xla-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.xla_worker:
        return xla_worker()
    if not args.folders:
        parser.error("give at least one DIR")

    files = hlo_files(args.folders)
    xla = XlaFlops()
    try:
        verdicts = {path: compare(path, xla) for path in files}
    finally:
        xla.close()
    kinds = Counter(v["kind"] for v in verdicts.values())
    compared = kinds["agrees"] + kinds["incomplete"] + kinds["disagrees"]

    print(f"hloscope's FLOPs against XLA's HloCostAnalysis (jaxlib CPU client), tolerance {TOLERANCE:.0%}")
    print(HANDLING)
    print(f"files: {len(files)}; XLA refuses {kinds['xla refuses']} (skipped); XLA's cost analysis fails on "
          f"{kinds['xla cost fails']}, crashes on {kinds['xla crashes']} (skipped); hloscope refuses "
          f"{kinds['hloscope refuses']} that XLA reads")
    print(f"compared: {compared}; agree within 1%: {kinds['agrees']}; declared incomplete: {kinds['incomplete']}; "
          f"disagree: {kinds['disagrees']}")
    uncounted = Counter()
    for verdict in verdicts.values():
        for opcode in verdict.get("uncounted", {}):
            uncounted[opcode] += 1
    if uncounted:
        print("declared incomplete, modules by uncounted opcode: "
              + ", ".join(f"{op} {n}" for op, n in sorted(uncounted.items())))
    rests = Counter(v["rest_agrees"] for v in verdicts.values() if "rest_agrees" in v)
    print(f"declared incomplete by custom-calls alone: {rests[True] + rests[False]}; the rest agrees with XLA's "
          f"figure once its -1 per custom-call is added back: {rests[True]}")
    for path, verdict in verdicts.items():
        kind = verdict["kind"]
        if kind == "disagrees":
            print(f"  DISAGREES {path}: hloscope {verdict['hloscope']:,} XLA {verdict['xla']:,.0f}")
        elif kind == "hloscope refuses":
            print(f"  HLOSCOPE REFUSES {path}: {verdict['why']}")
        elif kind in ("xla cost fails", "xla crashes"):
            print(f"  {kind.upper()} {path}: {verdict['why']}")
        elif kind == "incomplete" and args.verbose:
            rest = {True: "; the rest agrees", False: "; the rest differs"}.get(verdict.get("rest_agrees"), "")
            print(f"  incomplete {path}: hloscope {verdict['hloscope']:,} XLA {verdict['xla']:,.0f} "
                  f"uncounted {verdict['uncounted']}{rest}")
    return 1 if kinds["disagrees"] or kinds["hloscope refuses"] else 0


if __name__ == "__main__":
    sys.exit(main())
