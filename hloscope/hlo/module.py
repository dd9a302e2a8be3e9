"""The parsed HLO module: computations of instructions.

The parser fills these in; attributes stay raw text until someone asks, and
graphs are built on first use, so a large module pays only for what is read.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx

    from hloscope.hlo.loops import WhileLoop

# Attributes that name called computations, and the call kind an edge carries.
CALL_KINDS = {
    "to_apply": "to_apply",
    "calls": "calls",
    "condition": "condition",
    "body": "body",
    "branch_computations": "branch",
    "true_computation": "branch",
    "false_computation": "branch",
    "called_computations": "calls",
    "select": "select",
    "scatter": "scatter",
}


class HloInstruction:
    """One instruction: ``name = shape opcode(operands), attributes``.

    ``operands`` holds operand names in order. ``payload`` is the raw text
    between the parentheses of ``constant`` and ``parameter``.
    """

    __slots__ = (
        "name",
        "opcode",
        "shape",
        "operands",
        "payload",
        "computation",
        "calls",
        "_attr_pos",
        "_attrs",
    )

    def __init__(self, name, opcode, shape, operands, payload, computation, calls, attr_pos, attrs=None):
        self.name: str = name
        self.opcode: str = opcode
        self.shape: str = shape
        self.operands: list[str] = operands
        self.payload: str | None = payload
        self.computation: HloComputation = computation
        # (call kind, computation name) pairs, in attribute order.
        self.calls: tuple[tuple[str, str], ...] = calls
        self._attr_pos: int | None = attr_pos
        self._attrs: dict[str, str] | None = attrs

    @property
    def called_computations(self) -> list[str]:
        """Names of the computations this instruction calls."""
        return [name for _, name in self.calls]

    @property
    def attributes(self) -> dict[str, str]:
        """Raw text of each attribute (``{"dimensions": "{1,0}", ...}``)."""
        if self._attrs is None:
            from hloscope.hlo.parser import read_attributes

            src = self.computation.module.text
            if self._attr_pos is None:
                self._attrs = {}
            else:
                # The fast path already checked this text; it does not reject repeats.
                self._attrs = read_attributes(src, self._attr_pos, strict=False)[1]
        return self._attrs

    @property
    def parameter_number(self) -> int | None:
        """The index of a ``parameter`` instruction, else None."""
        if self.opcode == "parameter":
            from hloscope.hlo.attributes import to_int

            return to_int(self.payload)
        return None

    @property
    def is_root(self) -> bool:
        """Whether this is its computation's root."""
        return self.computation.root is self

    def __repr__(self) -> str:
        return f"<HloInstruction {self.name} = {self.shape} {self.opcode}({', '.join(self.operands)})>"


class HloComputation:
    """A named list of instructions with one root."""

    def __init__(self, name: str, module: HloModule, is_entry: bool, signature: str | None):
        self.name = name
        self.module = module
        self.is_entry = is_entry
        # Raw ``(p: f32[2]) -> f32[2]`` text, None when the text had none.
        self.signature = signature
        self.execution_thread: str | None = None
        self.instructions: list[HloInstruction] = []
        self.root: HloInstruction | None = None

    @cached_property
    def instruction_map(self) -> dict[str, HloInstruction]:
        """Instructions by name."""
        return {inst.name: inst for inst in self.instructions}

    @cached_property
    def graph(self) -> networkx.DiGraph:
        """Data-flow graph: one node per instruction, an edge operand -> user."""
        from hloscope.hlo.graphs import instruction_graph

        return instruction_graph(self)

    def __repr__(self) -> str:
        return f"<HloComputation {self.name}: {len(self.instructions)} instructions>"


class HloModule:
    """A parsed HLO module.

    ``computations`` maps names to computations in text order; ``entry`` is
    the ``ENTRY`` computation, or the last one when none is marked.
    """

    def __init__(self, text: str):
        self.text = text
        self.name = ""
        # Raw text of the header attributes (is_scheduled, entry_computation_layout, ...).
        self.attributes: dict[str, str] = {}
        # FileNames, FunctionNames, FileLocations, StackFrames: id -> raw value text.
        self.sections: dict[str, dict[int, str]] = {}
        self.computations: dict[str, HloComputation] = {}
        self.entry: HloComputation | None = None
        # Opcode and shape strings shared between instructions while parsing.
        self._shared_strings: dict[str, str] = {}

    @property
    def instruction_count(self) -> int:
        """Instructions over all computations."""
        return sum(len(c.instructions) for c in self.computations.values())

    def instructions(self):
        """Every instruction of every computation, in text order."""
        for computation in self.computations.values():
            yield from computation.instructions

    def op_counts(self, weighted: bool = False) -> dict[str, int]:
        """Count instructions per opcode.

        Unweighted: every instruction of every computation, as the text lists
        them (fused computations included). Weighted: computations reachable
        from the entry, each instruction multiplied by the trip counts of the
        while loops around it; a loop of unknown trip count weighs 1.
        """
        from hloscope.hlo.metrics import op_counts

        return op_counts(self, weighted=weighted)

    def while_loops(self) -> list[WhileLoop]:
        """One record per while instruction, with nesting depth and trip count."""
        return list(self._while_loops)

    @cached_property
    def _while_loops(self) -> tuple[WhileLoop, ...]:
        from hloscope.hlo.loops import find_while_loops

        return tuple(find_while_loops(self))

    @cached_property
    def call_graph(self) -> networkx.DiGraph:
        """Computations as nodes, an edge caller -> callee per call with its kind."""
        from hloscope.hlo.graphs import call_graph

        return call_graph(self)

    def __repr__(self) -> str:
        return f"<HloModule {self.name}: {len(self.computations)} computations>"
