"""Shapes that must agree, checked where XLA's parser checks them (not its verifier).

XLA's parser (``xla/hlo/parser/hlo_parser.cc``) refuses, each with its own
message and place: a computation whose written result shape
(``(p: f32[2]) -> f32[2]``) is not compatible with its root's shape (at the
result shape, once the body is read); an operand whose written shape
(``add(f32[2,5] %c, ...)``) is not compatible with its producer's (where the
operand starts); ``parameter_replication`` with another count than the
parameter's leaf buffers, and a custom-call's ``operand_layout_constraints``
with another count than its operands or a shape not compatible with its
operand's (both where the next token after the instruction starts).
"Compatible" is XLA's ShapeUtil::Compatible: the same element types and
dimensions, layouts and dynamic bounds (``<=``) aside.
"""

from __future__ import annotations

import re
from functools import lru_cache

from hloscope.hlo.lexer import skip_ws
from hloscope.hlo.memos import MEMO_LIMIT
from hloscope.hlo.module import HloComputation

_COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)
_LAYOUT_RE = re.compile(r"(?<=\])\{[^{}]*\}")
_ARRAY_RE = re.compile(r"[a-z][a-z0-9]*\[([^\]]*)\]")
_ARRAY_LAYOUT_RE = re.compile(r"([a-z][a-z0-9]*)\[([^\]]*)\](\{[^{}]*\})?")
_TYPED_OPERAND_RE = re.compile(r"([^%]*?) ?%([A-Za-z_][\w.\-]*)(?:, |$)")


@lru_cache(maxsize=MEMO_LIMIT)
def human_shape(shape: str) -> str:
    """A shape as XLA's ShapeUtil::HumanString prints it: no layouts, ``, `` between tuple elements."""
    return _spaced(_LAYOUT_RE.sub("", _squeezed(shape)))


@lru_cache(maxsize=MEMO_LIMIT)
def compatible(one: str, other: str) -> bool:
    """XLA's ShapeUtil::Compatible of two shape texts; an empty one (a shape XLA infers, not read here) fits."""
    return one == other or not one or not other or human_shape(one).replace("<=", "") == human_shape(other).replace("<=", "")


@lru_cache(maxsize=MEMO_LIMIT)
def with_layout(shape: str) -> str:
    """A shape as XLA's HumanStringWithLayout prints it: written layouts kept, the default one where none is."""

    def one(m: re.Match) -> str:
        rank = len(m.group(2).split(",")) if m.group(2) else 0
        if m.group(3) or rank == 0:
            return m.group(0)
        return m.group(0) + "{" + ",".join(str(dim) for dim in range(rank - 1, -1, -1)) + "}"

    return _spaced(_ARRAY_LAYOUT_RE.sub(one, _squeezed(shape)))


def _squeezed(shape: str) -> str:
    return re.sub(r"\s+", "", _COMMENT_RE.sub("", shape))


def _spaced(text: str) -> str:
    out, depth = [], 0
    for ch in text:
        depth += (ch in "[{") - (ch in "]}")
        out.append(", " if ch == "," and depth == 0 else ch)
    return "".join(out)


class ShapeIndex:
    """Name -> shape of a computation's instructions read so far, extended only when a name is missing."""

    __slots__ = ("instructions", "shapes", "count")

    def __init__(self, computation: HloComputation):
        self.instructions = computation.instructions
        self.shapes: dict[str, str] = {}
        self.count = 0

    def get(self, name: str) -> str:
        shape = self.shapes.get(name)
        if shape is None:
            for inst in self.instructions[self.count :]:
                self.shapes[inst.name] = inst.shape
            self.count = len(self.instructions)
            shape = self.shapes.get(name, "")
        return shape


def operand_shape_error(declared: str, produced: str) -> str | None:
    """XLA's message for an operand written with a shape its producer does not have, else None."""
    if compatible(declared, produced):
        return None
    return (
        f"The declared operand shape {with_layout(declared)} is not compatible with the shape of the operand "
        f"instruction {with_layout(produced)}."
    )


def typed_operands_agree(typed: str, shapes: ShapeIndex) -> bool:
    """Whether each ``shape %name`` of a fast-path operand list fits its producer (the full reader says why not)."""
    for m in _TYPED_OPERAND_RE.finditer(typed):
        declared = m.group(1).strip()
        produced = shapes.get(m.group(2))
        if declared and declared != produced and not compatible(declared, produced):
            return False
    return True


def signature_error(src: str, computation: HloComputation) -> tuple[int, str] | None:
    """XLA's refusal of a computation whose written result shape does not fit its root: (place, message)."""
    start, end = computation.signature_span
    arrow = src.rfind("->", start, end)
    if arrow < 0:
        return None
    result_pos = skip_ws(src, arrow + 2)
    result = src[result_pos:end].strip()
    root = computation.root
    if compatible(result, root.shape):
        return None
    return result_pos, (
        f"Shape of computation {computation.name}, {human_shape(result)}, is not compatible with that of its "
        f"root instruction {root.name}, {human_shape(root.shape)}"
    )


def attribute_shapes_error(opcode: str, shape: str, operands, attrs: dict[str, str], shapes: ShapeIndex) -> str | None:
    """XLA's message where ``parameter_replication`` or ``operand_layout_constraints`` do not fit, else None."""
    replication = attrs.get("parameter_replication")
    if replication is not None:
        inner = replication.strip()[1:-1].strip()
        items = [item.strip() for item in inner.split(",")] if inner else []
        leaves = len(_ARRAY_RE.findall(_LAYOUT_RE.sub("", shape)))
        if shape and all(item in ("true", "false") for item in items) and len(items) != leaves:
            return f"parameter has {leaves} leaf buffers, but parameter_replication has {len(items)} elements."
    constraints = attrs.get("operand_layout_constraints")
    if constraints is not None and opcode == "custom-call":
        inner = constraints.strip()[1:-1]
        listed = _split_top_level(inner) if inner.strip() else []
        if len(listed) != len(operands):
            return f"Expected {len(operands)} operand layout constraints, {len(listed)} given"
        for i, (constraint, operand) in enumerate(zip(listed, operands)):
            produced = shapes.get(operand)
            if not compatible(constraint, produced):
                return (
                    f"Operand layout constraint shape {with_layout(constraint)} for operand {i} is not compatible "
                    f"with operand shape {with_layout(produced)}"
                )
    return None


def _split_top_level(text: str) -> list[str]:
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([{") - (ch in ")]}")
        if ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    items.append(text[start:].strip())
    return items
