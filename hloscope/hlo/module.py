"""The parsed HLO module as plain records: module, computations, instructions.

Nothing here computes over a module: graphs, loops, op counts and FLOPs are
functions in their own modules that take these records. The parser fills the
records in; an instruction's attributes stay raw text in the module's text
until someone asks for them, so a large module pays only for what is read.
"""

from __future__ import annotations

from array import array
from operator import itemgetter

from hloscope.hlo.lexer import clean_text, read_attributes

# An instruction is one tuple (kept small: a 4 MB module holds 30,000 of
# them): name, opcode, shape (strings shared by all instructions alike),
# computation, then the operand names. Every field is an item, so reading
# one is a C-level itemgetter, not a Python call.
_NAME, _OPCODE, _SHAPE, _COMPUTATION, _FIRST_OPERAND = range(5)


def attribute_line(src: str, offset: int) -> str:
    """The attribute text an ``attribute_offsets`` entry points at, trailing blanks dropped.

    Only the parser's one-line fast path leaves an offset, so the attributes
    run to the end of that line.
    """
    end = src.find("\n", offset)
    return src[offset : len(src) if end < 0 else end].rstrip(" \t\r")


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
    operands: tuple[str, ...] = property(  # type: ignore[assignment]
        itemgetter(slice(_FIRST_OPERAND, None)), doc="Operand names in order."
    )

    __hash__ = object.__hash__
    __eq__ = object.__eq__  # type: ignore[assignment]
    __ne__ = object.__ne__  # type: ignore[assignment]

    @property
    def calls(self) -> tuple[tuple[str, str], ...]:
        """(call kind, computation name) pairs in attribute order; kinds are CALL_KINDS values."""
        return self[_COMPUTATION].module.calls_of.get(self, ())

    @property
    def called_computations(self) -> list[str]:
        """Names of the computations this instruction calls."""
        return [name for _, name in self.calls]

    @property
    def payload(self) -> str | None:
        """Raw text inside ``constant(...)`` or ``parameter(...)``, else None."""
        return self[_COMPUTATION].module.payloads.get(self)

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


class HloComputation:
    """A named list of instructions with one root.

    ``instructions`` in text order; ``root`` (the ROOT instruction, else the
    last); ``signature`` is the ``(p: f32[2]) -> f32[2]`` text (comments
    dropped, read from the module text on use) or None;
    ``execution_thread`` the ``execution_thread=`` value or None.
    """

    # Slots: a module of small fused computations holds thousands of these.
    __slots__ = (
        "name",
        "module",
        "is_entry",
        "signature_span",
        "execution_thread",
        "instructions",
        "root",
        "attribute_offsets",
        "_instruction_map",
        "_positions",
        "copy_of",
    )

    def __init__(self, name: str, module: HloModule, is_entry: bool, signature_span: tuple[int, int] | None):
        self.name = name
        self.module = module
        self.is_entry = is_entry
        # Where ``(params) -> result`` sits in module.text: an entry of 1,500
        # parameters would otherwise hold 85 kB of text twice.
        self.signature_span = signature_span
        self.execution_thread: str | None = None
        self.instructions: list[HloInstruction] = []
        self.root: HloInstruction | None = None
        # Where each instruction's attribute text starts in module.text, by
        # position; -1: none, or read already (module.decoded_attributes).
        self.attribute_offsets = array("i" if len(module.text) < 2**31 else "q")
        self._instruction_map: dict[str, HloInstruction] | None = None
        self._positions: dict[str, int] | None = None
        # The computation whose body this one's repeats but for names (hloscope.hlo.copies), else None.
        self.copy_of: str | None = None

    @property
    def signature(self) -> str | None:
        """The ``(p: f32[2]) -> f32[2]`` text without comments, or None when the text had none."""
        if self.signature_span is None:
            return None
        return clean_text(self.module.text[self.signature_span[0] : self.signature_span[1]])

    @property
    def instruction_map(self) -> dict[str, HloInstruction]:
        """Instructions by name (built on first use)."""
        if self._instruction_map is None:
            self._instruction_map = {inst.name: inst for inst in self.instructions}
        return self._instruction_map

    def attributes_of(self, inst: HloInstruction) -> dict[str, str]:
        """Raw text of each attribute of ``inst``, read from the module text on first use."""
        decoded = self.module.decoded_attributes
        attrs = decoded.get(inst)
        if attrs is None:
            if self._positions is None:
                self._positions = {each.name: index for index, each in enumerate(self.instructions)}
            offset = self.attribute_offsets[self._positions[inst.name]]
            if offset < 0:
                attrs = {}
            else:
                # Lines repeat layer after layer: one decoding per text.
                line = attribute_line(self.module.text, offset)
                attrs = self.module.attribute_texts.get(line)
                if attrs is None:
                    # The parser has already checked this text.
                    attrs = self.module.attribute_texts[line] = read_attributes(line, 0, strict=False)[1]
            decoded[inst] = attrs
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
        # Facts that few instructions have, kept off the records (by instruction):
        # called computations, constant and parameter payloads, attributes read so far.
        self.calls_of: dict[HloInstruction, tuple[tuple[str, str], ...]] = {}
        self.payloads: dict[HloInstruction, str] = {}
        self.decoded_attributes: dict[HloInstruction, dict[str, str]] = {}
        # Attribute text of a line -> its decoded attributes, shared by every line
        # that reads the same (treat as read-only).
        self.attribute_texts: dict[str, dict[str, str]] = {}

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
