"""The parsed HLO module as plain records: module, computations, instructions.

Nothing here computes over a module: graphs, loops, op counts and FLOPs are
functions in their own modules that take these records. The parser fills the
records in; an instruction's attributes stay raw text in the module's text
until someone asks for them, so a large module pays only for what is read.
"""

from __future__ import annotations

from array import array
from functools import cached_property
from operator import itemgetter

from hloscope.hlo.lexer import read_attributes

# An instruction is one tuple (kept small: a 4 MB module holds 30,000 of
# them): name, opcode, shape, computation, then the operand names.
_NAME, _OPCODE, _SHAPE, _COMPUTATION, _FIRST_OPERAND = range(5)


class HloInstruction(tuple):
    """One instruction: ``name = shape opcode(operands), attributes``.

    ``name``, ``opcode`` (as HLO spells it: ``get-tuple-element``), ``shape``
    (text, ``f32[2,4]{1,0}``; empty when the text gave none), ``computation``
    and ``operands`` (names, in order, as a tuple). ``calls`` lists the
    computations it calls as (kind, name) pairs, ``payload`` is the raw text
    between the parentheses of ``constant`` and ``parameter`` and
    ``attributes`` the raw text of each attribute, decoded on first use
    (``hloscope.hlo.attributes`` decodes values). Instructions compare and
    hash by identity.
    """

    __slots__ = ()

    name: str = property(itemgetter(_NAME), doc="The instruction's name.")  # type: ignore[assignment]
    opcode: str = property(itemgetter(_OPCODE), doc="The opcode as HLO text spells it.")  # type: ignore[assignment]
    shape: str = property(itemgetter(_SHAPE), doc="The result shape as text.")  # type: ignore[assignment]
    computation: HloComputation = property(  # type: ignore[assignment]
        itemgetter(_COMPUTATION), doc="The computation holding the instruction."
    )

    __hash__ = object.__hash__
    __eq__ = object.__eq__  # type: ignore[assignment]
    __ne__ = object.__ne__  # type: ignore[assignment]

    @property
    def operands(self) -> tuple[str, ...]:
        """Operand names in order."""
        return self[_FIRST_OPERAND:]

    @property
    def calls(self) -> tuple[tuple[str, str], ...]:
        """(call kind, computation name) pairs in attribute order; kinds are CALL_KINDS values."""
        return self[_COMPUTATION].calls_of.get(self[_NAME], ())

    @property
    def called_computations(self) -> list[str]:
        """Names of the computations this instruction calls."""
        return [name for _, name in self.calls]

    @property
    def payload(self) -> str | None:
        """Raw text inside ``constant(...)`` or ``parameter(...)``, else None."""
        return self[_COMPUTATION].payloads.get(self[_NAME])

    @property
    def attributes(self) -> dict[str, str]:
        """Raw text of each attribute (``{"dimensions": "{1,0}", ...}``)."""
        return self[_COMPUTATION].attributes_of(self)

    @property
    def parameter_number(self) -> int | None:
        """The index of a ``parameter`` instruction, else None."""
        payload = self.payload if self[_OPCODE] == "parameter" else None
        return int(payload) if payload is not None and payload.isdigit() and len(payload) < 19 else None

    @property
    def is_root(self) -> bool:
        """Whether this is its computation's root."""
        return self[_COMPUTATION].root is self

    def __repr__(self) -> str:
        return f"<HloInstruction {self.name} = {self.shape} {self.opcode}({', '.join(self.operands)})>"


def make_instruction(name: str, opcode: str, shape: str, computation: HloComputation, operands=()) -> HloInstruction:
    """A new instruction record (the parser builds them faster in bulk)."""
    return tuple.__new__(HloInstruction, (name, opcode, shape, computation, *operands))


class HloComputation:
    """A named list of instructions with one root.

    ``instructions`` in text order; ``root`` (the ROOT instruction, else the
    last); ``signature`` is the raw ``(p: f32[2]) -> f32[2]`` text or None;
    ``execution_thread`` the ``execution_thread=`` value or None.
    """

    def __init__(self, name: str, module: HloModule, is_entry: bool, signature: str | None):
        self.name = name
        self.module = module
        self.is_entry = is_entry
        self.signature = signature
        self.execution_thread: str | None = None
        self.instructions: list[HloInstruction] = []
        self.root: HloInstruction | None = None
        # Per-instruction facts that most instructions lack, kept off the records.
        self.calls_of: dict[str, tuple[tuple[str, str], ...]] = {}
        self.payloads: dict[str, str] = {}
        # Where each instruction's attribute text starts in module.text (-1:
        # none, or already decoded into decoded_attributes), by position.
        self.attribute_offsets = array("q")
        self.decoded_attributes: dict[str, dict[str, str]] = {}

    @cached_property
    def instruction_map(self) -> dict[str, HloInstruction]:
        """Instructions by name."""
        return {inst.name: inst for inst in self.instructions}

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {inst.name: index for index, inst in enumerate(self.instructions)}

    def attributes_of(self, inst: HloInstruction) -> dict[str, str]:
        """Raw text of each attribute of ``inst``, read from the module text on first use."""
        name = inst.name
        attrs = self.decoded_attributes.get(name)
        if attrs is None:
            offset = self.attribute_offsets[self._positions[name]]
            # The parser has already checked this text.
            attrs = {} if offset < 0 else read_attributes(self.module.text, offset, strict=False)[1]
            self.decoded_attributes[name] = attrs
        return attrs

    def __repr__(self) -> str:
        return f"<HloComputation {self.name}: {len(self.instructions)} instructions>"


class HloModule:
    """A parsed HLO module.

    ``computations`` maps names to computations in the order XLA holds them
    (an inline computation comes before the one that holds it); ``entry`` is
    the ``ENTRY`` computation, or the last one when none is marked.
    ``attributes`` holds the raw text of the header attributes and
    ``sections`` the FileNames, FunctionNames, FileLocations and StackFrames
    entries (id -> raw value text).
    """

    def __init__(self, text: str):
        self.text = text
        self.name = ""
        self.attributes: dict[str, str] = {}
        self.sections: dict[str, dict[int, str]] = {}
        self.computations: dict[str, HloComputation] = {}
        self.entry: HloComputation | None = None

    @property
    def instruction_count(self) -> int:
        """Instructions over all computations."""
        return sum(len(c.instructions) for c in self.computations.values())

    def instructions(self):
        """Every instruction of every computation, in order."""
        for computation in self.computations.values():
            yield from computation.instructions

    def __repr__(self) -> str:
        return f"<HloModule {self.name}: {len(self.computations)} computations>"
