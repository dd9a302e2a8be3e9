"""The parser agrees with XLA's own on real and hand-written modules.

XLA's parser (``jaxlib._hlo.hlo_module_from_text``) is the reference. For each
module both must list the same computations in the same order and, in each,
the same instructions in the same order with the same opcodes and operands.
Where they differ it is by design, and the comparison says exactly how:

- operands are compared by position within the computation, not by name,
  because XLA renames instructions whose names repeat across computations
  (``p0`` -> ``p0.1``);
- XLA reads ``OP-start``/``-update``/``-done`` of an opcode with no start
  form of its own (``all-to-all-start``) as async-start/-update/-done and adds
  a wrapped computation (one parameter per operand, then OP) before the
  computation holding it; hloscope keeps the text's opcode and adds nothing.

Opcodes are compared in the spelling of HLO text (``get-tuple-element``)
against XLA's enum names (``kGetTupleElement``) through ``xla_reference.OPCODE_ALIASES``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from jaxlib import _hlo

from hloscope.hlo import op_counts, parse_hlo, while_loops
from hloscope.hlo.grammar import async_wrapped_opcode
from xla_reference import expected_xla_opcode, xla_opcode

CASES = Path(__file__).parent / "hlo_cases"


def assert_agrees_with_xla(text: str) -> None:
    ours = parse_hlo(text)
    theirs = list(hlo_module_computations(text))
    expected = []
    for computation in ours.computations.values():
        for inst in computation.instructions:
            wrapped = async_wrapped_opcode(inst.opcode)
            if wrapped is not None and inst.opcode.endswith("-start"):
                expected.append(("<async wrapped>", [], len(inst.operands), wrapped))
        expected.append((computation.name, computation.instructions, None, None))
    assert len(theirs) == len(expected), ([c.name for c in theirs], [e[0] for e in expected])
    for xla_computation, (name, instructions, wrapped_operands, wrapped_opcode) in zip(theirs, expected):
        xla_instructions = xla_computation.instructions()
        if wrapped_opcode is not None:
            assert xla_computation.name.startswith("async_wrapped")
            assert len(xla_instructions) == wrapped_operands + 1
            assert xla_opcode(xla_instructions[-1].opcode.name) == wrapped_opcode.replace("-", "")
            continue
        assert xla_computation.name == name
        assert len(instructions) == len(xla_instructions), name
        our_index = {inst.name: i for i, inst in enumerate(instructions)}
        xla_index = {inst.name: i for i, inst in enumerate(xla_instructions)}
        for inst, xla_inst in zip(instructions, xla_instructions):
            assert expected_xla_opcode(inst.opcode) == xla_opcode(xla_inst.opcode.name), (name, inst.name)
            assert [our_index[o] for o in inst.operands] == [xla_index[o.name] for o in xla_inst.operands()], (
                name,
                inst.name,
            )


def hlo_module_computations(text: str):
    return _hlo.hlo_module_from_text(text).computations()


PROGRAMS = [
    "loops",
    "nested_scans",
    "branches",
    "sorting",
    "scatter_gather",
    "conv_and_grad",
    "fft",
    "linalg",
    "randoms",
    "pooling_and_remat",
    "collectives",
    "pmapped",
    "complex_math",
]


@pytest.mark.parametrize("stage", ["pre", "opt"])
@pytest.mark.parametrize("program", PROGRAMS)
def test_jax_program_agrees_with_xla(jax_texts, program, stage):
    assert_agrees_with_xla(jax_texts[f"{program}.{stage}"])


def test_programs_cover_the_ops_they_are_for(jax_texts):
    def ops(key):
        return op_counts(parse_hlo(jax_texts[key]))

    assert "all-reduce" in ops("collectives.opt") and "all-gather" in ops("collectives.opt")
    assert "all-reduce" in ops("pmapped.opt")
    assert "convolution" in ops("conv_and_grad.pre")
    assert "fft" in ops("fft.pre")
    assert "sort" in ops("sorting.pre")
    assert "scatter" in ops("scatter_gather.pre") and "gather" in ops("scatter_gather.pre")
    assert "conditional" in ops("branches.pre")
    assert "custom-call" in ops("linalg.opt")
    assert "opt-barrier" in ops("pooling_and_remat.pre")
    assert "reduce-window" in ops("pooling_and_remat.pre")
    # Optimized output carries the stack-frame sections that follow the header.
    assert parse_hlo(jax_texts["loops.opt"]).sections.get("StackFrames")


def test_trip_counts_inferred_before_optimization_match_xla_after(jax_texts):
    for program in ("loops", "nested_scans", "linalg"):
        pre = [loop.trip_count for loop in while_loops(parse_hlo(jax_texts[f"{program}.pre"]))]
        opt = [
            loop.trip_count
            for loop in while_loops(parse_hlo(jax_texts[f"{program}.opt"]))
            if loop.trip_count_source == "backend_config"
        ]
        assert sorted(t for t in pre if t is not None) == sorted(opt), program


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.glob("*.hlo")))
def test_hand_written_case_agrees_with_xla(case):
    assert_agrees_with_xla((CASES / case).read_text())


def test_jax_output_takes_the_one_line_fast_path(jax_texts, monkeypatch):
    """Everything JAX prints is read by the fast path; the full reader is for other text."""
    from hloscope.hlo import parser, reader

    slow = []
    full_instruction, full_header = reader.Reader._read_instruction, parser.ModuleReader._read_header

    def counting_instruction(self, pos, *args):
        slow.append(self.src[pos : pos + 80])
        return full_instruction(self, pos, *args)

    def counting_header(self, pos):
        slow.append(self.src[pos : pos + 80])
        return full_header(self, pos)

    monkeypatch.setattr(reader.Reader, "_read_instruction", counting_instruction)
    monkeypatch.setattr(parser.ModuleReader, "_read_header", counting_header)
    for key, text in jax_texts.items():
        parse_hlo(text)
        assert slow == [], key
    # The hand-written wrapped case does use the full reader.
    parse_hlo((CASES / "comments_and_wrapping.hlo").read_text())
    assert slow
