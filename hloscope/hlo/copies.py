"""Computations that repeat an earlier one but for names: read once, copied after.

An unrolled stack's optimized module holds, per layer, the same fused
computations and reducers again under new names (``%fused_computation.6``,
``.38``, ``.70``, ...): four fifths of the lines of a 96-layer transformer's
module. A body that is, character for character, an earlier body with each
``%name`` replaced one for one (the same name always by the same name, and
distinct names by distinct ones) reads as the earlier one's records renamed,
and every check the parser makes gives the same verdict on both: the checks
look at shapes, opcodes, attributes and which operand is which, never at how a
name is spelled, except that a called computation must exist, which is checked
here for the copy's own names. So such a body is not read again: its records
are the earlier ones' with the copy's names, and its attribute offsets point
into the copy's own text.

Only a body the one-line fast path read from its first line to its ``}``,
with every instruction named ``%name`` at the start of its line and every
operand and called computation written ``%name``, serves as the original; the
computation's signature (``(param_0.7: f32[2]) -> f32[2]``) is read and
checked for each copy as for any computation. ``copy_of`` on the copy names
the original, so that figures computed per computation can be shared.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from itertools import accumulate
from operator import add, itemgetter, sub

from hloscope.hlo.module import HloComputation, HloInstruction, HloModule

# Bodies are looked at once a module has this many computations: in a small module, noting each
# body costs more than its copies save.
MIN_COMPUTATIONS = 16
_TOKEN_RE = re.compile(r"%([A-Za-z_][\w.\-]*)", re.ASCII)
_DEFINITION_RE = re.compile(r"[ \t]*(?:ROOT[ \t]+)?%\Z", re.ASCII)
NEW_RECORD = tuple.__new__
_COMPUTATION_OF = HloInstruction.computation.fget


class _Original:
    """What a copy needs of an original body: its skeleton, names and records by token position."""

    __slots__ = (
        "computation",
        "skeleton",
        "tokens",
        "lengths",
        "distinct",
        "fixed",
        "pickers",
        "relative",
        "before",
        "calls",
        "payload_positions",
        "payload_texts",
        "callees",
        "root",
    )

    def __init__(self, computation: HloComputation, body: str, body_start: int, skeleton: str):
        module = computation.module
        self.computation = computation
        self.skeleton = skeleton
        found = list(_TOKEN_RE.finditer(body))
        self.tokens = tokens = [m.group(1) for m in found]
        self.lengths = list(map(len, tokens))
        self.distinct = len(set(tokens))
        starts = [m.start() for m in found]
        insts = computation.instructions
        # Definition tokens: a %name alone (or after ROOT) at the start of its line.
        definitions = [k for k, at in enumerate(starts) if _DEFINITION_RE.match(body, body.rfind("\n", 0, at) + 1, at + 1)]
        if len(definitions) != len(insts) or any(tokens[k] != inst.name for k, inst in zip(definitions, insts)):
            raise _NotAnOriginal
        line_ends = [body.find("\n", starts[k]) for k in definitions]
        defined_at = {tokens[k]: k for k in definitions}
        offsets = computation.attribute_offsets
        records, rel_offsets, calls, payloads, callees = [], [], {}, {}, []
        calls_of, module_payloads = module.calls_of, module.payloads
        for i, (inst, k, line_end) in enumerate(zip(insts, definitions, line_ends)):
            offset = offsets[i]
            rel = offset - body_start if offset >= 0 else -1
            # Tokens of this line: operands before the attributes, callees (and anything in strings) after.
            line_tokens = range(k + 1, definitions[i + 1] if i + 1 < len(definitions) else len(tokens))
            head_end = rel if rel >= 0 else line_end
            operand_tokens = [j for j in line_tokens if starts[j] < head_end]
            if [tokens[j] for j in operand_tokens] != list(inst.operands):
                raise _NotAnOriginal  # an operand not written %name, or one named inside a shape
            # An operand is picked where its name is defined: one string for the name and every use of it.
            operand_at = tuple(defined_at.get(tokens[j], -1) for j in operand_tokens)
            if -1 in operand_at:
                raise _NotAnOriginal
            records.append((k, inst.opcode, inst.shape, operand_at))
            rel_offsets.append((rel, bisect_left(starts, rel) if rel >= 0 else 0))
            pairs = calls_of.get(inst)
            if pairs:
                after = [j for j in line_tokens if starts[j] >= head_end]
                mapped = []
                for kind, callee in pairs:
                    j = next((j for j in after if tokens[j] == callee), None)
                    if j is None:
                        raise _NotAnOriginal
                    mapped.append((kind, j))
                    callees.append(j)
                calls[i] = tuple(mapped)
            payload = module_payloads.get(inst)
            if payload is not None:
                payloads[i] = payload
        # A copy's records, each picked in one call from [its names..., opcodes and shapes..., computation].
        fixed: dict[str, int] = {}
        for _, opcode, shape, _ in records:
            fixed.setdefault(opcode, len(tokens) + len(fixed))
            fixed.setdefault(shape, len(tokens) + len(fixed))
        self.fixed = list(fixed)
        at_computation = len(tokens) + len(fixed)
        self.pickers = [
            itemgetter(k, fixed[opcode], fixed[shape], at_computation, *operands) for k, opcode, shape, operands in records
        ]
        # Offsets: attribute start in the body, plus the body's start and what the names before it gained,
        # read from accumulate(gains, initial=body start) + [-1]; -1 (no attribute text) from that last item.
        self.relative = [rel if rel >= 0 else 0 for rel, _ in rel_offsets]
        self.before = [before if rel >= 0 else len(tokens) + 1 for rel, before in rel_offsets]
        self.calls = calls
        self.payload_positions = list(payloads)
        self.payload_texts = list(payloads.values())
        self.callees = callees
        self.root = insts.index(computation.root)


class _NotAnOriginal(Exception):
    """The body holds a name the copy could not map (an unprefixed one): it is read line by line."""


class Copies:
    """The bodies read so far, by skeleton; makes a new computation's records from an earlier one's."""

    def __init__(self, src: str):
        self.src = src
        # hash of the skeleton -> (computation, body start, body end) until a copy is met, then an _Original
        # (or None: not one); only the hash is kept, so that the skeletons of bodies met once take no memory.
        self.bodies: dict[int, tuple | _Original | None] = {}
        # The body being read, noted by copy() and kept by read_whole() once the fast path has read all of it.
        self.pending: tuple | None = None

    def copy(self, computation: HloComputation, body_start: int, names: set[str]) -> int:
        """Fill ``computation`` from an earlier body its body copies; return where its text ends, or -1.

        ``body_start``: just after the ``{`` line of its header; ``names``:
        the computations defined so far. With -1 nothing was filled: read the
        body as usual, then call ``read_whole`` if the fast path read all of it.
        """
        self.pending = None
        src = self.src
        close = src.find("\n}", body_start - 1)
        after = close + 3
        if close < 0 or not (src.startswith("\n", close + 2) or close + 2 == len(src)):
            return -1  # a body that ends otherwise (``}, execution_thread=...``, indented) is read as usual
        body = src[body_start : close + 1]
        parts = _TOKEN_RE.split(body)
        skeleton = "%".join(parts[::2])
        key = hash(skeleton)
        found = self.bodies.get(key, False)
        if found is False:
            self.pending = (key, computation, body_start, close + 1)
            return -1
        if found is None:
            return -1
        if not isinstance(found, _Original):
            original, start, end = found
            text = src[start:end]
            try:
                found = _Original(original, text, start, _TOKEN_RE.sub("%", text))
            except _NotAnOriginal:
                found = None
            self.bodies[key] = found
            if found is None:
                return -1
        if found.skeleton != skeleton:
            return -1  # another skeleton of the same hash: read as usual
        tokens = parts[1::2]
        # One for one: as many distinct names as the original, and as many distinct (original, copy) pairs.
        distinct = found.distinct
        if len(set(tokens)) != distinct or len(set(zip(found.tokens, tokens))) != distinct:
            return -1
        if found.callees and not names.issuperset(map(tokens.__getitem__, found.callees)):
            return -1  # the reader reports the missing computation
        _fill(computation, found, tokens, body_start)
        return min(after, len(src))

    def read_whole(self, computation: HloComputation, close: int) -> None:
        """``computation``'s body was read by the fast path from start to its ``}`` at ``close``: later copies
        of it need not be (if that ``}`` ends the body ``copy`` looked at)."""
        pending = self.pending
        if pending is not None and pending[1] is computation and pending[3] == close:
            self.bodies.setdefault(pending[0], pending[1:])
        self.pending = None


def _fill(computation: HloComputation, original: _Original, tokens: list[str], body_start: int) -> None:
    module = computation.module
    values = tokens + original.fixed
    values.append(computation)
    insts = computation.instructions
    insts.extend([NEW_RECORD(HloInstruction, pick(values)) for pick in original.pickers])
    # Names differ in length: each offset moves by the lengths gained before it.
    moved = list(accumulate(map(sub, map(len, tokens), original.lengths), initial=body_start))
    moved.append(-1)
    computation.attribute_offsets.extend(map(add, original.relative, map(moved.__getitem__, original.before)))
    if original.calls:
        calls_of = module.calls_of
        for i, pairs in original.calls.items():
            calls_of[insts[i]] = tuple([(kind, tokens[j]) for kind, j in pairs])
    if original.payload_positions:
        module.payloads.update(zip(map(insts.__getitem__, original.payload_positions), original.payload_texts))
    computation.root = insts[original.root]
    computation.copy_of = original.computation.copy_of or original.computation.name


def computation_classes(module: HloModule) -> dict[str, int]:
    """One id per computation name, shared by computations alike in all but names.

    Two computations are alike when one's body copies the other's (``copy_of``,
    above) and the computations they call, in order, are alike in turn: then
    every figure computed from a computation and what it calls (FLOPs,
    structure) is the same for both.
    """
    computations = module.computations
    callees: dict[HloComputation, list[str]] = {}
    for inst, pairs in module.calls_of.items():
        callees.setdefault(_COMPUTATION_OF(inst), []).extend([name for _, name in pairs])
    ids: dict[tuple, int] = {}
    classes: dict[str, int] = {}

    def class_of(name: str) -> int:
        found = classes.get(name)
        if found is None:
            computation = computations.get(name)
            if computation is None:
                key: tuple = ("missing", name)
            else:
                classes[name] = -1 - len(classes)  # a call cycle: alike only to itself
                called = callees.get(computation)
                key = (computation.copy_of or name, tuple(map(class_of, called)) if called else ())
            found = classes[name] = ids.setdefault(key, len(ids))
        return found

    for name in computations:
        class_of(name)
    return classes
