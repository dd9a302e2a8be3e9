"""A computation that copies an earlier one but for names is read from that one, with the same result.

An unrolled stack's optimized module repeats each fused computation once per
layer under new names; ``hloscope.hlo.copies`` makes such a body's records
from the earlier body's. Compared here with reading every line (the copy path
switched off) on the modules JAX writes for unrolled stacks, and with XLA's
own reading on small modules made to test the edges: names of other lengths,
names swapped, a name in a string, called computations, and copies that are
not one for one or call a computation that does not exist.
"""

from __future__ import annotations

import pytest
from stack_programs import BLOCKS, unrolled_texts

from hloscope.hlo import HloParseError, parse_hlo
from hloscope.hlo.copies import MIN_COMPUTATIONS, Copies, computation_classes
from hloscope.hlo.summary import summarize_module
from xla_reference import as_written_and_wrapped, assert_read_as_xla, difference_from_xla, verdicts_by_text

LAYERS = 4
POST = 1


def _line_by_line(monkeypatch, text: str):
    with monkeypatch.context() as patch:
        patch.setattr(Copies, "copy", lambda self, *args: -1)
        return parse_hlo(text)


def _records(module) -> list:
    """Everything the parser records, attributes as read from each instruction's own text."""
    return [
        (
            computation.name,
            computation.is_entry,
            computation.root.name,
            computation.signature,
            [
                (inst.name, inst.opcode, inst.shape, inst.operands, inst.calls, inst.payload, inst.attributes)
                for inst in computation.instructions
            ],
        )
        for computation in module.computations.values()
    ]


def _copied(module) -> list[str]:
    return [name for name, computation in module.computations.items() if computation.copy_of is not None]


@pytest.mark.parametrize("kind", sorted(BLOCKS))
def test_an_unrolled_stacks_optimized_module_reads_as_line_by_line(kind, monkeypatch):
    text = unrolled_texts(kind, LAYERS)[POST]
    module = parse_hlo(text)
    plain = _line_by_line(monkeypatch, text)
    assert _copied(module)  # read as copies, past the first MIN_COMPUTATIONS
    assert _copied(plain) == []
    assert _records(module) == _records(plain)
    assert summarize_module(module).to_json() == summarize_module(plain).to_json()


def _fused(name: str, p0: str, p1: str, out: str, region: str) -> str:
    return (
        f"%{name} (x: f32[4], y: f32[]) -> f32[] {{\n"
        f"  %{p0} = f32[4]{{0}} parameter(0)\n"
        f"  %{p1} = f32[] parameter(1)\n"
        f'  ROOT %{out} = f32[] reduce(%{p0}, %{p1}), dimensions={{0}}, to_apply=%{region}, '
        f'metadata={{op_name="%{out}"}}\n'
        "}\n\n"
    )


def _region(name: str, a: str, b: str, out: str) -> str:
    return (
        f"%{name} (a: f32[], b: f32[]) -> f32[] {{\n"
        f"  %{a} = f32[] parameter(0)\n"
        f"  %{b} = f32[] parameter(1)\n"
        f"  ROOT %{out} = f32[] add(%{a}, %{b})\n"
        "}\n\n"
    )


# Bodies are looked at only in a module of many computations (copies.MIN_COMPUTATIONS): these come first.
_FIRST = "".join(
    f"%c{i} (x: f32[{i + 1}]) -> f32[{i + 1}] {{\n  ROOT %x = f32[{i + 1}]{{0}} parameter(0)\n}}\n\n"
    for i in range(MIN_COMPUTATIONS)
)


def _module(*computations: str, calls: tuple[str, ...] = ("fused.1", "fused.2")) -> str:
    fusions = "".join(
        f"  %f{i} = f32[] fusion(%v, %z), kind=kLoop, calls=%{callee}\n" for i, callee in enumerate(calls)
    )
    results = ", ".join(f"%f{i}" for i in range(len(calls)))
    shape = ", ".join("f32[]" for _ in calls)
    return (
        "HloModule m\n\n"
        + _FIRST
        + "".join(computations)
        + "ENTRY %e (v: f32[4], z: f32[]) -> (" + shape + ") {\n"
        "  %v = f32[4]{0} parameter(0)\n"
        "  %z = f32[] parameter(1)\n"
        + fusions
        + f"  ROOT %t = ({shape}) tuple({results})\n"
        "}\n"
    )


ORIGINAL = _region("add.1", "a", "b", "s") + _fused("fused.1", "p0", "p1", "r", "add.1")
CASES = {
    "longer names": _module(
        ORIGINAL, _region("add.22", "a.333", "b.4444", "s.55555") + _fused("fused.2", "p0.666", "p1.7", "r.8888", "add.22")
    ),
    "names swapped": _module(ORIGINAL, _fused("fused.2", "p1", "p0", "r", "add.1")),
    "the same original twice": _module(
        ORIGINAL, _fused("fused.2", "q0", "q1", "q", "add.1"), _fused("fused.3", "w0", "w1", "w", "add.1"),
        calls=("fused.1", "fused.2", "fused.3"),
    ),
    # Two names of the original become one: not a copy, so read line by line (XLA: defined twice).
    "two names made one": _module(ORIGINAL, _fused("fused.2", "p0", "p0", "r", "add.1")),
    # The copy's root reads itself where the original's read a parameter.
    "a name made another's": _module(
        _fused("fused.1", "p0", "p1", "r", "add.1").replace("reduce(%p0, %p1)", "reduce(%p0, %p0)"),
        _fused("fused.2", "q0", "q1", "q", "add.1").replace("reduce(%q0, %q0)", "reduce(%q0, %q)"),
    ).replace("HloModule m\n\n" + _FIRST, "HloModule m\n\n" + _FIRST + _region("add.1", "a", "b", "s")),
    "a called computation that does not exist": _module(ORIGINAL, _fused("fused.2", "q0", "q1", "q", "add.9")),
    # The original's body ends at an indented brace: the next "\n}" is another computation's.
    "an indented closing brace": _module(
        ORIGINAL.replace("}\n\n%fused.1", "  }\n\n%fused.1").replace('"%r"}\n}', '"%r"}\n  }'),
        _fused("fused.2", "q0", "q1", "q", "add.1"),
    ),
}


FORMS = as_written_and_wrapped(CASES)


@pytest.fixture(scope="module")
def xla_verdicts():
    return verdicts_by_text(FORMS)


@pytest.mark.parametrize(("name", "text"), FORMS, ids=[name for name, _ in FORMS])
def test_copies_read_as_xla_reads_them(xla_verdicts, name, text):
    theirs = xla_verdicts[text]
    assert_read_as_xla(name, text, theirs)
    if theirs["ok"]:
        assert difference_from_xla(parse_hlo(text), theirs["computations"]) is None


@pytest.mark.parametrize("name", ["longer names", "names swapped", "the same original twice"])
def test_copies_are_read_from_the_original_with_their_own_attributes(name, monkeypatch):
    module = parse_hlo(CASES[name])
    assert "fused.2" in _copied(module)
    assert _records(module) == _records(_line_by_line(monkeypatch, CASES[name]))
    copy = module.computations["fused.2"]
    assert copy.copy_of == "fused.1"
    assert copy.root.attributes["metadata"] == '{op_name="%' + copy.root.name + '"}'


def test_a_copy_that_is_not_one_for_one_is_read_line_by_line():
    with pytest.raises(HloParseError, match="defined twice"):
        parse_hlo(CASES["two names made one"])


def test_copies_alike_in_what_they_call_share_a_class():
    module = parse_hlo(CASES["longer names"])
    classes = computation_classes(module)
    assert classes["fused.1"] == classes["fused.2"]
    assert classes["add.1"] == classes["add.22"]
    assert len({classes["fused.1"], classes["add.1"], classes["e"]}) == 3


def test_a_copy_calling_another_computation_is_not_alike():
    text = _module(
        _region("add.1", "a", "b", "s"),
        _region("mul.1", "a", "b", "s").replace("add(", "multiply("),
        _fused("fused.1", "p0", "p1", "r", "add.1"),
        _fused("fused.2", "q0", "q1", "q", "mul.1"),
    )
    module = parse_hlo(text)
    classes = computation_classes(module)
    assert module.computations["fused.2"].copy_of == "fused.1"
    assert classes["fused.1"] != classes["fused.2"]


def test_work_not_counted_is_listed_for_every_copy(monkeypatch):
    # A custom-call's FLOPs are not counted: each copy's instruction is listed, as read line by line.
    text = _module(
        _fused("fused.1", "p0", "p1", "r", "add.1").replace(
            "reduce(%p0, %p1), dimensions={0}, to_apply=%add.1", 'custom-call(%p0, %p1), custom_call_target="f"'
        ),
        _fused("fused.2", "q0", "q1", "q", "add.1").replace(
            "reduce(%q0, %q1), dimensions={0}, to_apply=%add.1", 'custom-call(%q0, %q1), custom_call_target="f"'
        ),
    )
    module = parse_hlo(text)
    assert module.computations["fused.2"].copy_of == "fused.1"
    flops = summarize_module(module).flops
    assert flops["uncounted_opcodes"] == {"custom-call": 2}
    assert flops == summarize_module(_line_by_line(monkeypatch, text)).flops


def _stack(name: str, layers: int, prefix: str) -> str:
    """A called computation of ``layers`` chained negate-exponential pairs: a repeated block of its own."""
    lines = [f"  %{prefix}0 = f32[8]{{0}} parameter(0)"]
    for i in range(layers):
        lines.append(f"  %{prefix}n{i} = f32[8]{{0}} negate(%{prefix}{'0' if i == 0 else f'e{i - 1}'})")
        lines.append(f"  %{prefix}e{i} = f32[8]{{0}} exponential(%{prefix}n{i})")
    lines.append(f"  ROOT %{prefix}r = f32[8]{{0}} copy(%{prefix}e{layers - 1})")
    return f"%{name} (x: f32[8]) -> f32[8] {{\n" + "\n".join(lines) + "\n}\n\n"


def test_repeated_blocks_are_found_in_every_copy(monkeypatch):
    text = (
        "HloModule m\n\n" + _FIRST + _stack("s.1", 6, "a") + _stack("s.2", 6, "bb")
        + "ENTRY %e (v: f32[8]) -> (f32[8], f32[8]) {\n  %v = f32[8]{0} parameter(0)\n"
        "  %c1 = f32[8]{0} call(%v), to_apply=%s.1\n  %c2 = f32[8]{0} call(%v), to_apply=%s.2\n"
        "  ROOT %t = (f32[8], f32[8]) tuple(%c1, %c2)\n}\n"
    )
    module = parse_hlo(text)
    assert module.computations["s.2"].copy_of == "s.1"
    blocks = summarize_module(module).repeated_blocks
    assert [(block["computation"], block["count"]) for block in blocks] == [("s.1", 6), ("s.2", 6)]
    assert blocks == summarize_module(_line_by_line(monkeypatch, text)).repeated_blocks
