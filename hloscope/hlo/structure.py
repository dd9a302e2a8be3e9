"""Structural keys: what two instructions must share to be copies of one another.

Used by ``hloscope.hlo.repeats``. An instruction's key holds its opcode,
result shape and attributes, with names and metadata left out
(``metadata``, ``channel_id``, ``control-predecessors``; the start offsets of
a ``slice``, which say which layer's rows it reads) and called computations
compared by structure rather than by name. A computation's fingerprint holds
the keys and operand wiring of its instructions and its parameter numbers,
so two fused computations that differ in names only share one.

Parameters and constants are data, not structure: a parameter's key leaves
its number out, a constant's its value, and an instruction computed from
constants alone counts as a constant, since XLA may print it once and share
it where the source had one per layer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hloscope.hlo.copies import computation_classes
from hloscope.hlo.grammar import CALL_KINDS
from hloscope.hlo.module import HloInstruction, attribute_line

if TYPE_CHECKING:
    from hloscope.hlo.module import HloComputation, HloModule

# Attributes that name things or say where an instruction came from. Called
# computations are compared by structure instead of by name.
IGNORED_ATTRIBUTES = ("metadata", "channel_id", "control-predecessors", *CALL_KINDS)
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_BRACED = r"\{(?:[^{}\"]|" + _STRING + r"|\{(?:[^{}\"]|" + _STRING + r")*\})*\}"
# Metadata alone first: it is on nearly every line, and this is three times
# faster than the expression for all ignored attributes.
_METADATA_RE = re.compile(
    r", metadata=\{[^{}\"]*(?:(?:" + _STRING + r"|\{[^{}\"]*(?:" + _STRING + r"[^{}\"]*)*\})[^{}\"]*)*\}"
)
_IGNORED_RE = re.compile(
    r", (?:" + "|".join(map(re.escape, IGNORED_ATTRIBUTES)) + r")=(?:" + _BRACED + "|" + _STRING + r"|[^,{}\s]+)"
)
_SLICE_START_RE = re.compile(r"\[[^:\]]*:[^:\]]*")
# Opcodes whose result is not fixed by constant operands.
_NOT_FOLDABLE = frozenset(
    {
        "rng",
        "rng-bit-generator",
        "rng-get-and-update-state",
        "custom-call",
        "infeed",
        "outfeed",
        "send",
        "recv",
        "after-all",
        "all-reduce",
        "all-gather",
        "all-to-all",
        "collective-permute",
        "reduce-scatter",
        "while",
        "conditional",
        "call",
    }
)

COMPUTED, PARAMETER, CONSTANT = 0, 1, 2
# seqpos of a parameter or constant: far enough below zero that no difference
# of positions involving one equals a distance between two computed ones.
LEAF_POSITION = -(1 << 40)
_NO_OPERANDS: list[int] = []
_OPCODE_OF = HloInstruction.opcode.fget


class StructuralKeys:
    """Interned structural keys, per-computation structures and fingerprints of one module."""

    def __init__(self, module: HloModule):
        self.module = module
        self.ids: dict = {}
        self.structures: dict[str, ComputationStructure] = {}
        self.fingerprints: dict[str, int] = {}
        # (opcode, shape, attribute text as written) -> interned key, for instructions that call nothing.
        self.written: dict[tuple, int] = {}
        # Computations alike but for names (hloscope.hlo.copies) share one fingerprint, found once.
        self.classes = computation_classes(module)
        self.class_fingerprints: dict[int, int] = {}

    def intern(self, key) -> int:
        ids = self.ids
        found = ids.get(key)
        if found is None:
            found = ids[key] = len(ids)
        return found

    def keyed(self, computation: HloComputation) -> tuple[list[int], list[list[int]]]:
        """Per instruction of ``computation``: its interned key and its operands' positions."""
        insts = computation.instructions
        n = len(insts)
        index = {inst.name: i for i, inst in enumerate(insts)}
        position_of = index.__getitem__
        ids = self.ids
        key = [0] * n
        operands = [_NO_OPERANDS] * n
        attribute_text = _attribute_texts(computation)
        # inst.calls, read straight from the table behind it: most instructions call nothing.
        calls_of = computation.module.calls_of
        # (opcode, shape, attribute text as written) -> key: unrolled layers
        # repeat their lines, so each text is cleaned of names once.
        written = self.written
        for i, inst in enumerate(insts):
            names = inst.operands
            if names:
                try:
                    operands[i] = list(map(position_of, names))
                except KeyError:
                    operands[i] = [index[name] for name in names if name in index]
            opcode = inst.opcode
            calls = calls_of.get(inst)
            if calls:
                k = (opcode, inst.shape, _structural_attributes(attribute_text(i), opcode, calls, self))
                found = ids.get(k)
                if found is None:
                    found = ids[k] = len(ids)
            else:
                k = (opcode, inst.shape, attribute_text(i))
                found = written.get(k)
                if found is None:
                    found = written[k] = self.intern((opcode, inst.shape, _structural_attributes(k[2], opcode)))
            key[i] = found
        return key, operands

    def structure(self, computation: HloComputation) -> ComputationStructure:
        """The computation's structure, built once."""
        found = self.structures.get(computation.name)
        if found is None:
            found = self.structures[computation.name] = ComputationStructure(computation, self)
        return found

    def fingerprint(self, name: str) -> int:
        """One id per computation structure; parameter numbers count, names and constant values do not."""
        found = self.fingerprints.get(name)
        if found is not None:
            return found
        alike = self.classes.get(name)
        found = self.class_fingerprints.get(alike)  # type: ignore[arg-type]
        if found is not None:
            self.fingerprints[name] = found
            return found
        computation = self.module.computations.get(name)
        if computation is None:
            return self.intern(("unknown computation", name))
        # A fused computation needs no more than its keys and wiring.
        structure = self.structures.get(name)
        keys, operands = (structure.key, structure.operands) if structure is not None else self.keyed(computation)
        insts = computation.instructions
        numbers = tuple(inst.payload for inst in insts if inst.opcode == "parameter")
        root = insts.index(computation.root) if computation.root is not None else -1
        key = (tuple(keys), tuple(map(tuple, operands)), numbers, root)
        found = self.fingerprints[name] = self.intern(key)
        if alike is not None:
            self.class_fingerprints[alike] = found
        return found


class ComputationStructure:
    """One computation by instruction position.

    ``key``: opcode, result shape and attributes, with called computations by
    structure. ``operands``: positions of the operands. ``kind``: computed,
    parameter or constant (fixed by constants alone). ``leaf``: for parameters
    and constants, the key they match by. ``seq``: positions of the computed
    instructions; ``seqpos`` the reverse, and a large negative number for
    parameters and constants.
    """

    __slots__ = ("instructions", "key", "operands", "kind", "leaf", "seq", "seqpos")

    def __init__(self, computation: HloComputation, keys: StructuralKeys):
        insts = computation.instructions
        n = len(insts)
        self.instructions = insts
        self.key, self.operands = key, operands = keys.keyed(computation)
        self.kind = kind = bytearray(n)
        self.leaf = leaf = [-1] * n
        self.seq = seq = []
        self.seqpos = seqpos = [LEAF_POSITION] * n
        constant = bytearray(n)
        is_constant = constant.__getitem__
        for i, opcode in enumerate(map(_OPCODE_OF, insts)):
            ops = operands[i]
            if opcode == "parameter":
                kind[i] = PARAMETER
                leaf[i] = key[i]
            elif opcode == "constant" or opcode == "iota":
                kind[i] = constant[i] = CONSTANT
                leaf[i] = key[i]
            elif ops and opcode not in _NOT_FOLDABLE and all(map(is_constant, ops)):
                # Computed from constants alone: XLA may print it once for all copies.
                kind[i] = constant[i] = CONSTANT
                leaf[i] = keys.intern((key[i], tuple(map(leaf.__getitem__, ops))))
            else:
                seqpos[i] = len(seq)
                seq.append(i)


def _structural_attributes(attrs: str, opcode: str, calls=None, keys: StructuralKeys | None = None):
    """The attribute text without names and metadata; with calls, the callees' fingerprints too."""
    if attrs:
        if ", metadata=" in attrs:
            attrs = _METADATA_RE.sub("", attrs)
        if calls or "channel_id=" in attrs or "control-predecessors=" in attrs:
            attrs = _IGNORED_RE.sub("", attrs)
        if opcode == "slice" and not calls:
            attrs = _SLICE_START_RE.sub("[", attrs)
    if calls:
        return (attrs, tuple(keys.fingerprint(callee) for _, callee in calls))  # type: ignore[union-attr]
    return attrs


def _attribute_texts(computation: HloComputation):
    """``text(position)``: the instruction's attributes as one string, ``, name=value`` each.

    Sliced from the module text where the parser left the line undecoded,
    joined from the decoded values otherwise (the same string for the same
    attributes), so that comparing attributes costs no decoding.
    """
    src = computation.module.text
    offsets = computation.attribute_offsets
    decoded = computation.module.decoded_attributes
    insts = computation.instructions

    def text(position: int) -> str:
        offset = offsets[position]
        if offset >= 0:
            return attribute_line(src, offset)
        attrs = decoded.get(insts[position])
        return "".join(f", {name}={value}" for name, value in attrs.items()) if attrs else ""

    return text


def same_cone(p: int, q: int, table: ComputationStructure, limit: int, into: set[int] | None = None) -> bool:
    """Whether instructions ``p`` and ``q`` compute the same way from the same kinds of inputs.

    On success, the computed instructions of both go into ``into``.
    """
    operands, key, leaf = table.operands, table.key, table.leaf
    pending = [(p, q)]
    seen = set()
    while pending:
        p, q = pending.pop()
        if p == q or (p, q) in seen:
            continue
        seen.add((p, q))
        if key[p] != key[q] or leaf[p] != leaf[q] or len(seen) > limit:
            return False
        pending.extend(zip(operands[p], operands[q]))
    if into is not None:
        seqpos = table.seqpos
        for pair in seen:
            into.update(i for i in pair if seqpos[i] >= 0)
    return True
