"""The token-based reader: one instruction at a time, as XLA's grammar has it.

``Reader`` holds the state of one parse (the text, the module so far, the
strings instructions share) and reads what the fast path of
``hloscope.hlo.parser`` leaves to it: an instruction of any layout, with
nested instructions, inline computations and every attribute form; it also
checks the enum values XLA checks, for both paths. ``parser.ModuleReader``
adds the module, its sections and the fast path over computations.
"""

from __future__ import annotations

import re

from hloscope.hlo import lexer, tokens
from hloscope.hlo.checks import async_attribute_error, async_kind, async_operand_error, branches_fit, braced_names
from hloscope.hlo.agreement import ShapeIndex, attribute_shapes_error, operand_shape_error
from hloscope.hlo.checks import check_enum, duplicate_instruction, read_predecessors, refuse_unspecified_api, shape_of
from hloscope.hlo.fastpath import NEXT_EAGER_RE, SHAPE_COUNT_ATTRIBUTES
from hloscope.hlo.grammar import (
    ASYNC_START_OPCODES,
    CALL_KINDS,
    CALL_LIST_ATTRIBUTES,
    FIRST_OPERAND_OPCODES,
    NAME_KEYWORDS,
    OPERAND_COUNTS,
    allowed_attributes,
    async_wrapped_opcode,
    conditional_operand_error,
    opcode_spellings,
    required_attributes,
    unexpected_attribute_message,
)
from hloscope.hlo.errors import HloParseError
from hloscope.hlo.memos import PAYLOAD_OPCODES, share_shape
from hloscope.hlo.literals import literal_end
from hloscope.hlo.lexer import NAME, NAME_CHARS, error, skip_ws
from hloscope.hlo.module import HloComputation, HloInstruction, HloModule
from hloscope.hlo.shapes import is_async_start_shape
from hloscope.hlo.syntax import VALUE_CHECKS
from hloscope.hlo.values import pairs_only

# Nested instructions and inline computations deeper than this are refused.
MAX_NESTING = 200
# XLA's error for operand text that is neither a defined name nor a nested instruction.
CANNOT_PARSE_OPERAND = "cannot parse as an instruction name or as a nested instruction:"
# XLA names an inline computation ``_`` (then ``_.1``, ...).
INLINE_COMPUTATION_NAME = "_"

WORD_RE = re.compile(NAME, re.ASCII)
NEW_RECORD = tuple.__new__
OPCODES = opcode_spellings()


def keyword_at(src: str, pos: int, word: str) -> bool:
    """Whether the keyword ``word`` (not a longer name) starts at ``pos``."""
    end = pos + len(word)
    return src.startswith(word, pos) and (end >= len(src) or src[end] not in NAME_CHARS)


class Reader:
    """State of one parse: the text, the module so far, shared strings; the token-based reader."""

    # Where the first empty operand stands: XLA reports it first should the text fail later.
    skipped_operand: int | None = None
    # Where the text of the computation being read starts (an inline one's after its ``{``).
    open_start = 0

    def __init__(self, src: str):
        self.src = src
        self.module = HloModule(src)
        # Computation names defined so far (inline ones included).
        self.names: set[str] = set()
        # The computation of a text that is a single instruction, where undefined operands become parameters.
        self.single: HloComputation | None = None
        self.depth = 0
        # Each computation's parameter numbers read so far (decimal text) and their instructions' names.
        self.parameter_numbers: dict[HloComputation, dict[str, str]] = {}
        # Each computation's instruction shapes by name, made when an operand's written shape needs them.
        self.shape_indexes: dict[HloComputation, ShapeIndex] = {}

    def _shapes(self, computation: HloComputation) -> ShapeIndex:
        index = self.shape_indexes.get(computation)
        return index if index is not None else self.shape_indexes.setdefault(computation, ShapeIndex(computation))

    def _missing_operand(self, word: str | None, shape: str, seen: dict[str, str]) -> str:
        """In a single instruction, an undefined operand with a shape becomes a parameter."""
        computation = self.single
        number = str(sum(1 for inst in computation.instructions if inst.opcode == "parameter"))
        name = word if word is not None else f"_{number}"
        inst = NEW_RECORD(HloInstruction, (name, "parameter", share_shape(shape), computation))
        computation.instructions.append(inst)
        computation.attribute_offsets.append(-1)
        self.module.payloads[inst] = number
        seen[name] = name
        return name

    def _add_computation(self, computation: HloComputation) -> None:
        self.names.add(computation.name)
        self.module.computations[computation.name] = computation

    def _read_eager(
        self, rest: str, rest_pos: int, opcode: str, end: int, calls: list | None, comp: HloComputation, operands, seen,
        shape: str = "",
    ):
        """Read the called computations and check the enum values among a fast-path instruction's attributes.

        ``calls`` holds calls read already; returns them with the new ones,
        or False to leave the instruction to the full reader (an inline
        computation, or branches the first operand's type rules out).
        """
        calls = list(calls or ())
        unspecified_api = False
        branches: list[str] = []
        pos = 0
        while True:
            m = NEXT_EAGER_RE.match(rest, pos)
            if m is None:
                break
            key, value = m.group(1), m.group(2)
            value_pos = rest_pos + m.start(2)
            kind = CALL_KINDS.get(key)
            if key == "control-predecessors":
                names = braced_names(value)
                if not names or any(name not in seen for name in names):
                    return False  # the full reader says which is not defined, as XLA does
            elif key in SHAPE_COUNT_ATTRIBUTES:
                if attribute_shapes_error(opcode, shape, operands, {key: value}, self._shapes(comp)):
                    return False  # the full reader refuses it where XLA does
            elif kind is None:
                unspecified_api |= check_enum(self.src, opcode, key, value, value_pos)
            elif value.startswith("{") and (key not in CALL_LIST_ATTRIBUTES or "{" in value[1:]):
                return False  # an inline computation
            elif kind == "branch" and not branches_fit(opcode, comp, operands, branches, key):
                return False  # the full reader refuses the conditional as XLA does
            else:
                targets = braced_names(value) if value.startswith("{") else [value.removeprefix("%")]
                if targets is None:
                    return False
                for target in targets:
                    if target not in self.names:
                        at = value.find(target)
                        at -= at > 0 and value[at - 1] == "%"  # XLA points at the name's %
                        raise error(f"computation does not exist: {target}", self.src, value_pos + at)
                    calls.append((kind, target))
            pos = m.end()
        if branches and not branches_fit(opcode, comp, operands, branches, None):
            return False
        if unspecified_api:
            refuse_unspecified_api(self.src, end)
        return calls

    # The full reader.

    def _read_instruction(self, pos: int, computation: HloComputation, seen: dict[str, str]):
        """Full reader for one instruction at ``pos``; returns (pos, instruction, is_root)."""
        src = self.src
        is_root = keyword_at(src, pos, "ROOT")
        if is_root:
            pos += len("ROOT")
        name_pos = skip_ws(src, pos)
        pos, name = lexer.parse_name(src, pos, "instruction name")
        if name in NAME_KEYWORDS and src[name_pos] != "%":
            raise error("expects name", src, name_pos)  # a keyword or a shape (``f32[] add(...)``) to XLA
        pos = lexer.expect(src, pos, "=", "'=' after the instruction name")
        if name in seen:
            raise error(duplicate_instruction(name, computation.name), src, name_pos)
        pos, inst = self._read_rhs(pos, name, computation, seen)
        return pos, inst, is_root

    def _read_rhs(self, pos: int, name: str | None, computation: HloComputation, seen: dict[str, str]):
        """Read ``shape opcode(operands), attributes`` and add the instruction."""
        src = self.src
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise error("nested instructions too deep", src, pos)
        pos = skip_ws(src, pos)
        shape = ""
        if lexer.can_be_shape(src, pos):
            pos, shape = lexer.parse_shape(src, pos)
        op_pos = skip_ws(src, pos)
        m = WORD_RE.match(src, op_pos)
        if m is None:
            raise error(f"expects opcode, found {lexer.describe(src, op_pos)}", src, op_pos)
        opcode = OPCODES.get(m.group(0))
        if opcode is None and not shape and lexer.can_be_type(src, op_pos):
            lexer.parse_shape(src, op_pos)  # an element type without dimensions (``f32 add(...)``): XLA says so
        if opcode is None:
            raise error(f"expects opcode but sees: {m.group(0)}, error: Unknown opcode: {m.group(0)}", src, op_pos)
        pos = lexer.expect(src, m.end(), "(", f"'(' after opcode {opcode}")
        payload = None
        operands: list[str] = []
        if opcode in PAYLOAD_OPCODES:
            if opcode == "parameter":
                end, payload = _parameter_number(src, pos)
            else:
                end = literal_end(src, pos, shape)
                payload = lexer.clean_text(src[pos : end - 1])
            pos = paren_end = end
        else:
            paren = pos - 1
            pos = self._read_operands(pos, operands, computation, seen)
            expected = OPERAND_COUNTS.get(opcode)
            if opcode == "tuple" and shape.startswith("("):
                expected = lexer.tuple_size(shape)  # XLA counts a tuple's operands by its written shape
            if expected is not None and len(operands) != expected:
                raise error(f"expects {expected} operands, but has {len(operands)} operands", src, paren)
        if opcode in ASYNC_START_OPCODES and not is_async_start_shape(shape):
            raise error(
                "AsyncStart expects the op shape to be in the form of ((async-operands), async-outputs, state).",
                src,
                skip_ws(src, pos),
            )
        chain = async_kind(opcode) in ("update", "done")
        if chain and (message := async_operand_error(opcode, shape, operands, computation)):
            raise error(message, src, skip_ws(src, pos))
        first = None
        base = async_wrapped_opcode(opcode) or opcode
        if base in FIRST_OPERAND_OPCODES and (base == opcode or opcode.endswith("-start")):
            first = shape_of(computation, operands[0]) if operands else ""
            message = conditional_operand_error(first) if base == "conditional" else None
            if message:
                raise error(message, src, skip_ws(src, pos))
        if name is None:
            # A nested instruction takes no attributes (a comma would be ambiguous), so none XLA requires.
            if missing := required_attributes(opcode, first):
                raise error(f"attribute {missing[0]} is expected but not seen", src, skip_ws(src, pos))
            attrs: dict[str, str] = {}
            calls: list[tuple[str, str]] = []
            name = _anonymous_name(opcode, seen)
        else:
            allowed, required = allowed_attributes(opcode, first), required_attributes(opcode, first)
            pos, attrs, calls = self._read_attributes(pos, opcode, allowed, required, seen)
        if opcode == "parameter":
            numbers, number = self.parameter_numbers.setdefault(computation, {}), str(int(payload))
            if numbers.get(number, name) != name:
                raise error(f"Duplicate parameter number {number}", src, paren_end - 1)
            numbers[number] = name
        if opcode == "infeed" and not shape.startswith("("):
            raise error("infeed must have a non-empty tuple shape", src, skip_ws(src, pos))
        if chain and (message := async_attribute_error(operands, computation, attrs)):
            raise error(message, src, skip_ws(src, pos))
        if ("parameter_replication" in attrs or "operand_layout_constraints" in attrs) and (
            message := attribute_shapes_error(opcode, shape, operands, attrs, self._shapes(computation))
        ):
            raise error(message, src, skip_ws(src, pos))
        inst = NEW_RECORD(HloInstruction, (name, opcode, share_shape(shape), computation, *operands))
        computation.instructions.append(inst)
        computation.attribute_offsets.append(-1)
        module = self.module
        module.decoded_attributes[inst] = attrs
        if payload is not None:
            module.payloads[inst] = payload
        if calls:
            module.calls_of[inst] = tuple(calls)
        seen[name] = name
        self.depth -= 1
        return pos, inst

    def _read_operands(self, pos: int, operands: list[str], computation: HloComputation, seen: dict[str, str]) -> int:
        """Read operands after ``(`` up to and including ``)``."""
        src = self.src
        pos = skip_ws(src, pos)
        if src.startswith(")", pos):
            return pos + 1
        while True:
            item_pos = skip_ws(src, pos)
            pos = item_pos
            if src.startswith((",", ")"), pos):
                # An empty operand (``add(a, b,)``): XLA skips it, noting an error it reports should the text fail.
                if self.skipped_operand is None:
                    self.skipped_operand = pos
                pos, closed = lexer.end_of_item(src, pos, ")", "operands")
                if closed:
                    return pos
                continue
            shape = None
            if lexer.can_be_shape(src, pos):
                try:
                    pos, shape = lexer.parse_shape(src, pos)
                except HloParseError as exc:  # XLA then tries the text as a name, and fails where it starts
                    raise error(f"{CANNOT_PARSE_OPERAND} {exc.msg}", src, item_pos) from None
            word_pos = skip_ws(src, pos)
            if shape is not None and self.single is computation and src.startswith((",", ")"), word_pos):
                operands.append(self._missing_operand(None, shape, seen))
                pos = word_pos
            else:
                if shape is not None and lexer.NAME_TOKEN_RE.match(src, word_pos) is None:
                    raise error(f"{CANNOT_PARSE_OPERAND} a shape needs a name after it", src, item_pos)
                pos, word = lexer.parse_name(src, word_pos, "operand name")
                if not src.startswith("%", word_pos) and src.startswith("(", skip_ws(src, pos)):
                    # ``opcode(...)``: a nested instruction, added before its user. XLA reports
                    # whatever fails in it where the outermost nested instruction starts.
                    try:
                        pos, inst = self._read_rhs(item_pos, None, computation, seen)
                    except HloParseError as exc:
                        inner = exc.msg.removeprefix(CANNOT_PARSE_OPERAND).lstrip()
                        raise error(f"{CANNOT_PARSE_OPERAND} {inner}", src, item_pos) from None
                    operands.append(inst.name)
                elif word in seen:
                    if shape is not None and (message := operand_shape_error(shape, self._shapes(computation).get(word))):
                        raise error(f"{CANNOT_PARSE_OPERAND} {message}", src, item_pos)
                    operands.append(seen[word])
                elif shape is not None and self.single is computation:
                    operands.append(self._missing_operand(word, shape, seen))
                else:
                    # XLA tries the text as a nested instruction too, and says so where the operand starts.
                    raise error(f"{CANNOT_PARSE_OPERAND} {word} is not defined", src, item_pos)
            pos, closed = lexer.end_of_item(src, pos, ")", "operands")
            if closed:
                return pos

    def _read_attributes(
        self, pos: int, opcode: str, allowed: frozenset[str], required: tuple[str, ...], seen: dict[str, str]
    ) -> tuple[int, dict[str, str], list[tuple[str, str]]]:
        """Read an instruction's attributes: raw text of each, and the computations called.

        XLA refuses a name not in ``allowed`` where the name stands, before
        its value, and names the first of ``required`` missing where the list starts.
        """
        src = self.src
        attrs: dict[str, str] = {}
        calls: list[tuple[str, str]] = []
        unspecified_api = False
        first = skip_ws(src, pos)
        while True:
            found = lexer.next_attribute(src, pos)
            if found is None:
                missing = [name for name in required if name not in attrs]
                # A module ending here lacks its closing brace: that is the error to report.
                if missing and (self.single is not None or skip_ws(src, pos) < len(src)):
                    raise error(f"attribute {missing[0]} is expected but not seen", src, first)
                if unspecified_api:
                    refuse_unspecified_api(src, pos)
                if "source_target_pairs" in attrs and not pairs_only(attrs["source_target_pairs"]):  # once all are read
                    raise error("expects 'source_target_pairs=' to be a list of pairs", src, skip_ws(src, pos))
                return pos, attrs, calls
            name_pos, key, start = found
            if key not in allowed:
                raise error(unexpected_attribute_message(key, allowed), src, name_pos)
            if key in attrs:
                raise error(f"attribute {key} already exists", src, name_pos)
            kind = CALL_KINDS.get(key)
            if kind is not None:
                pos = self._read_called(start, key, kind, calls)
            elif key == "literal":
                pos = lexer.skip_literal_value(src, start)
            elif key == "control-predecessors":
                pos = read_predecessors(src, start, seen)
            else:
                pos = lexer.skip_value(src, start, f"value of attribute {key!r}")
                unspecified_api |= check_enum(src, opcode, key, src[start:pos], start)
                if (check := VALUE_CHECKS.get(key)) and (found := check(src[start:pos])):
                    raise error(found[1], src, skip_ws(src, start + found[0]))
            attrs[key] = src[start:pos]

    def _read_called(self, pos: int, key: str, kind: str, calls: list[tuple[str, str]]) -> int:
        """Read a call attribute's value: a name, an inline body, or a braced list of them."""
        src = self.src
        if key not in CALL_LIST_ATTRIBUTES:
            pos, target = self._read_one_called(pos)
            calls.append((kind, target))
            return pos
        pos = lexer.expect(src, pos, "{", f"'{{' to start {key}")
        if src.startswith("}", skip_ws(src, pos)):
            return skip_ws(src, pos) + 1
        while True:
            pos, target = self._read_one_called(pos)
            calls.append((kind, target))
            pos, closed = lexer.end_of_item(src, pos, "}", key)
            if closed:
                return pos

    def _read_one_called(self, pos: int) -> tuple[int, str]:
        src = self.src
        pos = skip_ws(src, pos)
        if src.startswith("{", pos):
            return self._read_inline_computation(pos + 1)
        name_pos = pos
        pos, target = lexer.parse_name(src, pos, "computation name")
        if target not in self.names:
            raise error(f"computation does not exist: {target}", src, name_pos)
        return pos, target

    def _read_inline_computation(self, pos: int) -> tuple[int, str]:
        """Read an unnamed computation's body after ``{``; XLA names it ``_``, ``_.1``, ...

        As XLA, once it is read: one nested in it is named (and listed) first.
        """
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise error("inline computations nested too deep", self.src, pos)
        computation = HloComputation(INLINE_COMPUTATION_NAME, self.module, False, None)
        outer_start, self.open_start = self.open_start, pos
        pos = self._read_computations(pos, inline=computation)
        self.open_start = outer_start
        name = INLINE_COMPUTATION_NAME
        suffix = 0
        while name in self.names:
            suffix += 1
            name = f"{INLINE_COMPUTATION_NAME}.{suffix}"
        computation.name = name
        self._add_computation(computation)
        self.depth -= 1
        return pos, name

    def _read_computations(self, pos: int, inline: HloComputation | None = None) -> int:
        raise NotImplementedError  # parser.ModuleReader reads computations


def _anonymous_name(opcode: str, seen: dict[str, str]) -> str:
    name = f"{opcode}.anon"
    suffix = 0
    while name in seen:
        suffix += 1
        name = f"{opcode}.anon.{suffix}"
    return name


def _parameter_number(src: str, pos: int) -> tuple[int, str]:
    """``N)`` after ``parameter(`` as XLA reads it: (the end after ``)``, N in decimal); XLA's errors."""
    start = skip_ws(src, pos)
    kind, end = tokens.token_at(src, start)
    if kind != tokens.INT:
        raise error("expects integer", src, start)
    after = skip_ws(src, end)
    number = int(src[start:end])
    if not 0 <= number < -tokens.INT64_MIN:  # XLA reads 2**63 and up as an int64: negative
        raise error("parameter number must be >= 0", src, after)
    if not src.startswith(")", after):
        raise error("expects ')' after parameter number", src, after)
    return after + 1, src[start:end] if src[start] != "-" else str(number)
