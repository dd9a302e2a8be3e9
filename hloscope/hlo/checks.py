"""XLA's checks that both readers apply, beyond the grammar itself.

Enum values XLA checks (``direction=LT``, ``api_version=...``), a
conditional's branch computations (they follow its first operand's type),
control predecessors and instruction names. Each check raises HloParseError
at XLA's place, or says whether the text passes.
"""

from __future__ import annotations

import re

from hloscope.hlo import lexer
from hloscope.hlo.grammar import (
    UNSPECIFIED_API_VERSION,
    allowed_attributes,
    async_wrapped_opcode,
    opcode_spellings,
    conditional_operand_error,
    enum_attribute,
    required_attributes,
)
from hloscope.hlo.lexer import NAME, error, skip_ws
from hloscope.hlo.module import HloComputation


def check_enum(src: str, opcode: str, key: str, value: str, value_pos: int) -> bool:
    """Raise XLA's error for an enum value it refuses; True for the API version it refuses later."""
    rule = enum_attribute(opcode, key)
    if rule is None:
        return False
    if rule.field:
        if not value.startswith("{"):
            raise error(f"expects '{{' to start {key}, found {value[:20]!r}", src, value_pos)
        check_fields(src, value_pos, rule)
        return False
    if rule.items:
        if not value.startswith("{"):
            raise error(f"expects '{{' to start {key}, found {value[:20]!r}", src, value_pos)
        inner = value[1 : value.rfind("}")] if "}" in value else value[1:]
        offset = 1
        for item in inner.split(","):
            word = item.strip()
            if word and (message := rule.message(word)):
                raise error(message, src, value_pos + offset + item.find(word))
            offset += len(item) + 1
        return False
    message = rule.message(value)
    if message:
        raise error(message, src, value_pos)
    return key == "api_version" and value == UNSPECIFIED_API_VERSION


_FIELD_RE = re.compile(r"\s*(" + NAME + r")=\s*", re.ASCII)
# result_accuracy={mode=NAME} or {tolerance={rtol=X, atol=X, ulps=N}}: one field, checked as XLA does.
_TOLERANCE_FIELDS = frozenset({"rtol", "atol", "ulps"})


def check_fields(src: str, pos: int, rule) -> None:
    """Raise XLA's error for ``{field=value}`` at ``pos`` (``result_accuracy``) where XLA refuses it."""
    m = _FIELD_RE.match(src, pos + 1)
    if m is None:
        raise error("expects attribute name", src, skip_ws(src, pos + 1))
    name, at = m.group(1), m.end()
    if name == rule.field:
        word = lexer.WORD_RUN_RE.match(src, at)
        text = word.group(0) if word else ""
        if message := rule.message(text):
            raise error(message, src, at)
        end = skip_ws(src, at + len(text))
    elif name == "tolerance" and src.startswith("{", at):
        inner = at + 1
        while True:
            field = _FIELD_RE.match(src, inner)
            if field is None:
                raise error("expects attribute name", src, skip_ws(src, inner))
            if field.group(1) not in _TOLERANCE_FIELDS:
                raise error(f"invalid attribute name: {field.group(1)}", src, field.end())
            inner, closed = lexer.end_of_item(src, lexer.skip_value(src, field.end()), "}", "tolerance")
            if closed:
                break
        end = skip_ws(src, inner)
    else:
        raise error(f"invalid attribute name: {name}", src, at)
    if not src.startswith("}", end):
        raise error(f"expected '}}' to end result_accuracy", src, end)


def refuse_unspecified_api(src: str, end: int) -> None:
    """XLA reads the unspecified API version, then refuses it where the instruction ends."""
    at = skip_ws(src, end)
    raise error(f"Invalid API version: {UNSPECIFIED_API_VERSION}", src, at)


def shape_of(computation: HloComputation, name: str) -> str:
    """The shape of instruction ``name``, defined earlier in ``computation`` ("" if none is)."""
    for inst in reversed(computation.instructions):
        if inst.name == name:
            return inst.shape
    return ""


def branches_fit(opcode: str, comp: HloComputation, operands, branches: list[str], key: str | None) -> bool:
    """Whether a conditional's branch attribute ``key`` fits its first operand, adding it to ``branches``.

    With ``key`` None: whether ``branches`` holds every computation XLA
    requires for that operand's type. False leaves the instruction to the
    full reader, which raises XLA's error.
    """
    shape = shape_of(comp, operands[0]) if operands else ""
    if key is None:
        return set(required_attributes(opcode, shape)) <= set(branches)
    branches.append(key)
    return conditional_operand_error(shape) is None and key in allowed_attributes(opcode, shape)


def read_predecessors(src: str, pos: int, seen: dict[str, str]) -> int:
    """``{a, %b}``: instructions defined before this one, as XLA requires, each placed after its name."""
    pos = lexer.expect(src, pos, "{", "'{' to start control-predecessors")
    if src.startswith("}", skip_ws(src, pos)):
        raise error("expects name", src, skip_ws(src, pos))
    while True:
        pos, name = lexer.parse_name(src, pos, "name")
        if name not in seen:
            raise error(f"instruction '{name}' is not defined", src, skip_ws(src, pos))
        pos, closed = lexer.end_of_item(src, pos, "}", "control-predecessors")
        if closed:
            return pos


_NAME_ITEM_RE = re.compile(r"\s*%?(" + NAME + r")\s*", re.ASCII)


def braced_names(value: str) -> list[str] | None:
    """Names in a braced list ``{a, %b}``; None when it holds anything else."""
    names = []
    for item in value[1:-1].split(","):
        m = _NAME_ITEM_RE.fullmatch(item)
        if m is None:
            return [] if not value[1:-1].strip() else None
        names.append(m.group(1))
    return names


def report_duplicate(src: str, computation: HloComputation, start: int) -> None:
    """Raise for the first instruction name defined twice in ``computation``, whose text starts at ``start``.

    XLA reports the second definition; other computations may use the name.
    """
    names: set[str] = set()
    for inst in computation.instructions:
        if inst.name in names:
            break
        names.add(inst.name)
    definition = re.compile(r"(?<![\w.%-])%?" + re.escape(inst.name) + r"\s*=(?!=)")
    at = [m.start() for m in definition.finditer(src, start)]
    place = at[1] if len(at) > 1 else start
    raise error(duplicate_instruction(inst.name, computation.name), src, place)


def duplicate_instruction(name: str, computation: str) -> str:
    """XLA's message for an instruction name defined twice in one computation, then which computation."""
    return f"instruction already exists: {name} (defined twice in computation {computation})"


def refuse_shared_async_computation(module) -> None:
    """Raise XLA's error for a computation that two ``async-start`` ops call (XLA checks it once the text is read).

    XLA gives no place; the error points at the second start's definition.
    """
    started: set[str] = set()
    for inst, calls in module.calls_of.items():
        if inst.opcode == "async-start":
            for _, name in calls:
                if name in started:
                    definition = re.compile(r"(?<![\w.%-])%?" + re.escape(inst.name) + r"\s*=[^\n]*async-start")
                    at = [m.start() for m in definition.finditer(module.text)]
                    place = at[0] if at else 0
                    raise error(f"Computation {name} is called by more than one async op.", module.text, place)
                started.add(name)


def _async_kind(opcode: str) -> str | None:
    for kind in ("start", "update", "done"):
        if opcode == f"async-{kind}" or (opcode.endswith(f"-{kind}") and async_wrapped_opcode(opcode)):
            return kind
    return None


_ASYNC_KINDS = {op: kind for op in opcode_spellings() if (kind := _async_kind(op)) is not None}


def async_kind(opcode: str) -> str | None:
    """``start``, ``update`` or ``done`` for XLA's async ops (``async-start``, ``negate-done``, ...), else None.

    ``all-gather-start`` and the like are opcodes of their own, no async ops.
    """
    return _ASYNC_KINDS.get(opcode)


def instruction_of(computation: HloComputation, name: str):
    """The instruction ``name`` defined earlier in ``computation``, or None."""
    for inst in reversed(computation.instructions):
        if inst.name == name:
            return inst
    return None


def _chain_start(inst):
    while inst is not None and async_kind(inst.opcode) == "update" and inst.operands:
        inst = instruction_of(inst.computation, inst.operands[0])
    return inst


def _wrapped_opcode(start) -> str | None:
    wrapped = async_wrapped_opcode(start.opcode)
    if wrapped is None and start.calls:
        called = start.computation.module.computations.get(start.calls[0][1])
        wrapped = called.root.opcode if called is not None and called.root is not None else None
    return wrapped


def async_operand_error(opcode: str, shape: str, operands, computation: HloComputation) -> str | None:
    """XLA's complaint about an async update's or done's operand (read before its attributes), or None."""
    producer = instruction_of(computation, operands[0]) if len(operands) == 1 else None
    if producer is None or async_kind(producer.opcode) not in ("start", "update"):
        return "AsyncUpdate and AsyncDone expect a single async op as their operand."
    if async_kind(opcode) == "update" and _no_layouts(producer.shape) != _no_layouts(shape):
        return "AsyncUpdate expects the op shape to be the same as the operand shape."
    wrapped = async_wrapped_opcode(opcode)
    if wrapped is not None:
        theirs = _wrapped_opcode(_chain_start(producer))
        if theirs is not None and theirs != wrapped:
            return f"Expect async wrapped opcode to be {theirs}, but got {wrapped}"
    return None


def async_attribute_error(operands, computation: HloComputation, attrs: dict[str, str]) -> str | None:
    """XLA's complaint about an async update's or done's thread or computation, unlike its start's, or None."""
    start = _chain_start(instruction_of(computation, operands[0]))
    thread = attrs.get("async_execution_thread")
    if start is not None and thread is not None:
        theirs = start.attributes.get("async_execution_thread", '"main"').strip('"')
        if thread.strip('"') != theirs:
            return f"Expect async_execution_thread to be {theirs}, but got {thread.strip(chr(34))}"
    called = attrs.get("calls")
    if start is not None and called is not None and start.calls:
        theirs = start.calls[0][1]
        if called.lstrip("%") != theirs:
            return f"Expect async_wrapped_computation to be {theirs}, but got {called.lstrip('%')}"
    return None


_LAYOUT_RE = re.compile(r"\{[^{}]*\}")


def _no_layouts(shape: str) -> str:
    return _LAYOUT_RE.sub("", shape).replace(" ", "")
