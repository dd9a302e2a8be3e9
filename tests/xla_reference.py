"""XLA's own HLO parser as a reference, run out of process.

``xla_parse(texts)`` parses each text with ``jaxlib._hlo.hlo_module_from_text``
in a child process of its own (XLA may abort the process on bad text) and
returns, per text, either ``{"ok": True, "computations": [[name, [[inst,
opcode, [operand, ...]], ...]], ...]]}`` or ``{"ok": False, "line": L,
"column": C, "message": first error}``; ``line`` is None when XLA crashed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

_CHILD = r"""
import json, os, re, sys
# Imported once, before the forks: each child parses one text, and may abort.
from jaxlib import _hlo

def one(text):
    try:
        module = _hlo.hlo_module_from_text(text)
    except Exception as exc:
        m = re.search(r"was parsing (\d+):(\d+): error: ([^\n]*)", str(exc))
        if m is None:
            return {"ok": False, "line": None, "column": None, "message": str(exc)[:300]}
        return {"ok": False, "line": int(m.group(1)), "column": int(m.group(2)), "message": m.group(3)}
    return {"ok": True, "computations": [
        [c.name, [[i.name, i.opcode.name, [o.name for o in i.operands()]] for i in c.instructions()]]
        for c in module.computations()]}

results = []
for text in json.load(sys.stdin):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.write(write, json.dumps(one(text)).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 1 << 16):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    data = b"".join(chunks)
    results.append(json.loads(data) if data else {"ok": False, "line": None, "column": None, "message": "crashed"})
json.dump(results, sys.stdout)
"""


def xla_parse(texts: list[str]) -> list[dict]:
    """XLA's verdict on each text (see the module docstring)."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], input=json.dumps(texts), capture_output=True, text=True, timeout=600, check=True
    )
    return json.loads(done.stdout)


# XLA enum name (lower case, no "k") -> HLO spelling without dashes, where they differ.
OPCODE_ALIASES = {
    "exp": "exponential",
    "expm1": "exponentialminusone",
    "sin": "sine",
    "cos": "cosine",
    "log1p": "logplusone",
    "rem": "remainder",
    "optimizationbarrier": "optbarrier",
    "populationcount": "popcnt",
    "clz": "countleadingzeros",
}
SPLIT_RE = re.compile(r"^// -----[^\n]*$", re.MULTILINE)
_ASYNC_KINDS = {"-start": "asyncstart", "-update": "asyncupdate", "-done": "asyncdone"}


def xla_opcode(enum_name: str) -> str:
    """XLA's opcode enum name (``kGetTupleElement``) as HLO spells it without dashes."""
    name = enum_name[1:].lower()
    return OPCODE_ALIASES.get(name, name)


def expected_xla_opcode(opcode: str) -> str:
    """hloscope's opcode as XLA names it: the async sugar forms become async-start/-update/-done."""
    from hloscope.hlo.grammar import async_wrapped_opcode

    if async_wrapped_opcode(opcode) is not None:
        return next(kind for suffix, kind in _ASYNC_KINDS.items() if opcode.endswith(suffix))
    return opcode.replace("-", "")


def difference_from_xla(module, theirs: list) -> str | None:
    """The first way ``module`` (hloscope's) differs from XLA's ``computations`` record, or None.

    Same computations in the same order (XLA's extra async-wrapped
    computation before each ``OP-start`` sugar form's computation), and in
    each the same instructions in order, opcodes and operands, operands
    compared by position (XLA renames repeated names).
    """
    from hloscope.hlo.grammar import async_wrapped_opcode

    expected = []
    for computation in module.computations.values():
        for inst in computation.instructions:
            wrapped = async_wrapped_opcode(inst.opcode)
            if wrapped is not None and inst.opcode.endswith("-start"):
                expected.append(("<async wrapped>", len(inst.operands), wrapped))
        expected.append((computation.name, computation.instructions, None))
    if len(theirs) != len(expected):
        return f"computations: XLA {[c[0] for c in theirs]}, hloscope {[e[0] for e in expected]}"
    for (xla_name, xla_instructions), (name, instructions, wrapped) in zip(theirs, expected):
        if wrapped is not None:
            if not xla_name.startswith("async_wrapped") or len(xla_instructions) != instructions + 1:
                return f"async wrapped computation {xla_name}"
            if xla_opcode(xla_instructions[-1][1]) != wrapped.replace("-", ""):
                return f"async wrapped computation {xla_name}: wraps {xla_instructions[-1][1]}, not {wrapped}"
            continue
        if xla_name != name:
            return f"computation name: XLA {xla_name}, hloscope {name}"
        if len(instructions) != len(xla_instructions):
            return f"{name}: XLA {len(xla_instructions)} instructions, hloscope {len(instructions)}"
        ours_at = {inst.name: i for i, inst in enumerate(instructions)}
        theirs_at = {inst[0]: i for i, inst in enumerate(xla_instructions)}
        for inst, (xla_inst, xla_op, xla_operands) in zip(instructions, xla_instructions):
            if expected_xla_opcode(inst.opcode) != xla_opcode(xla_op):
                return f"{name}/{inst.name}: opcode XLA {xla_op}, hloscope {inst.opcode}"
            if [ours_at.get(o) for o in inst.operands] != [theirs_at.get(o) for o in xla_operands]:
                return f"{name}/{inst.name}: operands XLA {xla_operands}, hloscope {list(inst.operands)}"
    return None


def xla_place(verdict: dict) -> tuple[int, int]:
    """XLA's error place as hloscope counts it: XLA counts columns from 0 on the first line only."""
    line, column = verdict["line"], verdict["column"]
    return line, column + 1 if line == 1 else column


def wrapped(text: str) -> str:
    """``text`` with each instruction's operands and attributes over lines: only hloscope's full reader takes them."""
    return text.replace(", ", ",\n      ").replace("(", "(\n      ", 1) if "HloModule" in text else text


def as_written_and_wrapped(cases: dict[str, str]) -> list[tuple[str, str]]:
    """(id, text) of each case as written (hloscope's fast path where it can) and wrapped (its full reader)."""
    return [(f"{name} ({form})", text) for name, plain in cases.items() for form, text in (("as written", plain), ("wrapped", wrapped(plain)))]


def verdicts_by_text(forms: list[tuple[str, str]]) -> dict[str, dict]:
    """XLA's verdict on each text of ``as_written_and_wrapped`` pairs, by text (one XLA run for all)."""
    texts = [text for _, text in forms]
    return dict(zip(texts, xla_parse(texts)))


def assert_read_as_xla(name: str, text: str, theirs: dict) -> None:
    """hloscope's verdict on ``text`` is XLA's (``theirs``): accepted, or refused at XLA's place with XLA's message."""
    from hloscope.hlo import HloParseError, parse_hlo

    assert theirs["ok"] or theirs["line"] is not None, (name, theirs["message"])  # XLA answered, no crash
    try:
        parse_hlo(text)
    except HloParseError as exc:
        assert not theirs["ok"], (name, str(exc))
        assert (exc.line, exc.column) == xla_place(theirs), (name, theirs["message"], str(exc))
        assert str(exc).startswith(theirs["message"]), (name, theirs["message"], str(exc))
    else:
        assert theirs["ok"], (name, theirs["message"])


def agreement(texts: dict[str, str]) -> dict[str, list]:
    """Each text's verdict from both parsers, grouped: agree, differ, rejected by one or both.

    Keys: ``agree`` (both read it the same), ``differ`` (both read it,
    differently: (label, difference)), ``xla_only`` (XLA reads it, hloscope
    refuses: (label, hloscope's message)), ``hloscope_only`` (XLA refuses:
    (label, XLA's message)), ``both_refuse_same_place``,
    ``both_refuse_elsewhere`` ((label, XLA's place and message, hloscope's)).
    """
    from hloscope.hlo import HloParseError, parse_hlo

    groups: dict[str, list] = {
        key: []
        for key in ("agree", "differ", "xla_only", "hloscope_only", "both_refuse_same_place", "both_refuse_elsewhere")
    }
    labels = list(texts)
    for label, theirs in zip(labels, xla_parse([texts[label] for label in labels])):
        try:
            module = parse_hlo(texts[label])
            error = None
        except HloParseError as exc:
            module, error = None, exc
        if theirs["ok"] and module is not None:
            difference = difference_from_xla(module, theirs["computations"])
            if difference is None:
                groups["agree"].append(label)
            else:
                groups["differ"].append((label, difference))
        elif theirs["ok"]:
            groups["xla_only"].append((label, str(error).splitlines()[0]))
        elif module is not None:
            groups["hloscope_only"].append((label, theirs["message"]))
        elif theirs["line"] is not None and xla_place(theirs) == (error.line, error.column):
            groups["both_refuse_same_place"].append(label)
        else:
            where = f"XLA {theirs['line']}:{theirs['column']} {theirs['message']}"
            groups["both_refuse_elsewhere"].append((label, where, str(error).splitlines()[0]))
    return groups


def main(argv: list[str] | None = None) -> int:
    """``python tests/xla_reference.py DIR``: how hloscope and XLA read every ``*.hlo`` under DIR."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("folder")
    parser.add_argument("--verbose", action="store_true", help="list every text in every group")
    args = parser.parse_args(argv)
    root = Path(args.folder)
    texts = {}
    for path in sorted(root.rglob("*.hlo")):
        # Test files for XLA's tools hold several modules split by ``// -----`` lines (--split-input-file).
        parts = SPLIT_RE.split(path.read_text(errors="replace"))
        for index, part in enumerate(parts):
            texts[str(path.relative_to(root)) + (f"#{index}" if len(parts) > 1 else "")] = part
    groups = agreement(texts)
    print(f"{len(texts)} modules under {root}")
    for key, items in groups.items():
        print(f"  {key}: {len(items)}")
        if key != "agree" or args.verbose:
            for item in items:
                print(f"    {item}")
    disagreements = len(groups["differ"]) + len(groups["xla_only"]) + len(groups["hloscope_only"])
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    sys.exit(main())
