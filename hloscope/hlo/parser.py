"""Parse HLO text into an HloModule.

Two readers share the work. Regular expressions (``hloscope.hlo.fastpath``)
recognise the common one-line instruction and computation header and must
match a whole line, attributes included; anything else (comments, lines that
wrap, nested instructions, inline computations, unusual spacing) goes to the
token-based reader built on ``hloscope.hlo.lexer``, which follows XLA's
grammar. Both produce the same records, so the fast path only changes speed.
"""

from __future__ import annotations

import gc
import re

from hloscope.hlo import lexer
from hloscope.hlo.errors import HloParseError
from hloscope.hlo.fastpath import CLOSE_RE, COMP_RE, EAGER_HINT_RE, INDEX_RE, INSTR_RE, NEXT_EAGER_RE
from hloscope.hlo.grammar import (
    ASYNC_START_OPCODES,
    CALL_KINDS,
    CALL_LIST_ATTRIBUTES,
    HEADER_ATTRIBUTES,
    HEADER_BOOL_ATTRIBUTES,
    UNSPECIFIED_API_VERSION,
    enum_attribute,
    opcode_spellings,
)
from hloscope.hlo.lexer import NAME, NAME_CHARS, error, skip_ws
from hloscope.hlo.module import HloComputation, HloInstruction, HloModule
from hloscope.hlo.shapes import is_async_start_shape

SECTION_NAMES = ("FileNames", "FunctionNames", "FileLocations", "StackFrames")
# Opcodes whose parentheses hold a literal or a number, not operand names.
PAYLOAD_OPCODES = frozenset({"constant", "parameter"})
# Nested instructions and inline computations deeper than this are refused.
MAX_NESTING = 200
# XLA names an inline computation ``_`` (then ``_.1``, ...).
INLINE_COMPUTATION_NAME = "_"

_WORD_RE = re.compile(NAME, re.ASCII)
_NEW = tuple.__new__
_OPCODES = opcode_spellings()


def parse_hlo(text: str) -> HloModule:
    """Parse HLO text into an HloModule; raise HloParseError (line, column) on bad text."""
    if not isinstance(text, str):
        raise TypeError(f"parse_hlo expects str, not {type(text).__name__}")
    # The parser allocates many small objects and frees none; collection
    # passes during parsing only cost time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _Reader(text).read_module()
    except RecursionError:
        raise HloParseError("nesting too deep", text, 0) from None
    finally:
        if gc_was_enabled:
            gc.enable()


def _keyword_at(src: str, pos: int, word: str) -> bool:
    end = pos + len(word)
    return src.startswith(word, pos) and (end >= len(src) or src[end] not in NAME_CHARS)


class _Reader:
    """State of one parse: the text, the module so far, shared strings."""

    def __init__(self, src: str):
        self.src = src
        self.module = HloModule(src)
        # Computation names defined so far (inline ones included).
        self.names: set[str] = set()
        # One string object per distinct shape across the module.
        self.shapes: dict[str, str] = {}
        self.depth = 0

    def read_module(self) -> HloModule:
        src, module = self.src, self.module
        pos = skip_ws(src, 0)
        if pos >= len(src):
            raise error("no computation found", src, pos)
        if _keyword_at(src, pos, "HloModule"):
            pos, module.name = lexer.parse_name(src, pos + len("HloModule"), "module name")
            pos = self._read_header_attributes(pos)
        pos = skip_ws(src, pos)
        while True:
            m = _WORD_RE.match(src, pos)
            if m is None or m.group(0) not in SECTION_NAMES:
                break
            pos = self._read_section(m.end(), module.sections.setdefault(m.group(0), {}))
        while pos < len(src):
            pos = skip_ws(src, self._read_computation(pos))
        if not module.computations:
            raise error("no computation found", src, pos)
        if module.entry is None:
            module.entry = list(module.computations.values())[-1]
            module.entry.is_entry = True
        if not module.name:
            module.name = f"module_{module.entry.name}"
        return module

    def _read_header_attributes(self, pos: int) -> int:
        src, attrs = self.src, self.module.attributes
        while True:
            found = lexer.next_attribute(src, pos)
            if found is None:
                return pos
            name_pos, key, start = found
            if key not in HEADER_ATTRIBUTES:
                allowed = ", ".join(sorted(HEADER_ATTRIBUTES))
                raise error(f'unexpected attribute "{key}". Allowed attributes: {allowed}', src, name_pos)
            if key in attrs:
                raise error(f"attribute {key} already exists", src, name_pos)
            pos = lexer.skip_value(src, start, f"value of attribute {key!r}")
            if key in HEADER_BOOL_ATTRIBUTES and src[start:pos] not in ("true", "false"):
                raise error("expects true or false", src, start)
            attrs[key] = src[start:pos]

    def _read_section(self, pos: int, entries: dict[int, str]) -> int:
        """Read ``id value`` lines of a FileNames/StackFrames/... section."""
        src = self.src
        while True:
            pos = skip_ws(src, pos)
            if pos >= len(src) or not src[pos].isdigit():
                return pos
            pos, key = lexer.parse_int(src, pos, "section entry id")
            start = skip_ws(src, pos)
            if start < len(src) and src[start] in "\"'":
                pos = lexer.skip_string(src, start)
            elif src.startswith("{", start):
                pos = lexer.skip_group(src, start)
            else:
                raise error(f"expects a string or '{{' in section, found {lexer.describe(src, start)}", src, start)
            entries[key] = src[start:pos]

    # Computations.

    def _read_computation(self, pos: int) -> int:
        src, module = self.src, self.module
        start = pos
        m = COMP_RE.match(src, pos)
        if m is not None and not _keyword_at(src, pos, "ROOT"):
            is_entry, name, signature = m.group(1) is not None, m.group(2), m.group(3)
            if signature is not None and "/" in signature:
                signature = INDEX_RE.sub("", signature)
            name_pos = m.start(2)
            pos = m.end()
        else:
            is_entry = _keyword_at(src, pos, "ENTRY")
            if is_entry:
                pos += len("ENTRY")
            name_pos = skip_ws(src, pos)
            pos, name = lexer.parse_name(src, pos, "computation name")
            signature = None
            sig_pos = skip_ws(src, pos)
            if src.startswith("(", sig_pos):
                pos = _skip_signature(src, sig_pos)
                signature = lexer.clean_text(src[sig_pos:pos])
            pos = lexer.expect(src, pos, "{", "'{' to start the computation body")
        if name in self.names:
            raise error(f"computation {name} is defined twice", src, name_pos)
        if is_entry and module.entry is not None:
            raise error("expects only one ENTRY computation", src, start)
        computation = HloComputation(name, module, is_entry, signature)
        pos = self._read_body(pos, computation)
        found = lexer.next_attribute(src, pos)
        while found is not None:
            name_pos, key, value_pos = found
            if key != "execution_thread":
                raise error(f"unexpected computation attribute {key!r}", src, name_pos)
            pos = lexer.skip_value(src, value_pos)
            computation.execution_thread = src[value_pos:pos].strip("\"'")
            found = lexer.next_attribute(src, pos)
        self._add_computation(computation)
        if is_entry:
            module.entry = computation
        return pos

    def _add_computation(self, computation: HloComputation) -> None:
        self.names.add(computation.name)
        self.module.computations[computation.name] = computation

    def _read_body(self, pos: int, computation: HloComputation) -> int:
        """Read instructions after ``{`` up to and including the closing ``}``."""
        src = self.src
        n = len(src)
        instructions = computation.instructions
        append = instructions.append
        offsets_append = computation.attribute_offsets.append
        payloads = computation.payloads
        # name -> the same string: operands share their producer's name
        # string, and a missing key is an undefined operand.
        seen: dict[str, str] = {}
        lookup = seen.__getitem__
        opcodes = _OPCODES.get
        shapes = self.shapes
        eager_hint = EAGER_HINT_RE.search
        root = None
        while True:
            # Fast path: consecutive one-line instructions, matched back to back.
            m = bad = None
            for m in iter(INSTR_RE.scanner(src, pos).match, None):
                is_root, name, shape, opcode, ops, literal, rest = m.groups()
                opcode = opcodes(opcode)
                if opcode is None or name in seen or (opcode in ASYNC_START_OPCODES and not is_async_start_shape(shape)):
                    bad = m  # the full reader says what is wrong
                    break
                payload = None
                if opcode in PAYLOAD_OPCODES:
                    payload = ops if literal is None else literal
                    if opcode == "parameter" and not (payload.isascii() and payload.isdigit()):
                        bad = m
                        break
                    operands = ()
                elif ops:
                    if "/" in ops:
                        ops = INDEX_RE.sub("", ops)
                    try:
                        operands = tuple(map(lookup, ops.replace("%", "").split(", ")))
                    except KeyError:
                        bad = m  # the full reader reports the undefined operand
                        break
                elif literal is not None:
                    bad = m  # operand text only the full reader can judge
                    break
                else:
                    operands = ()
                known_shape = shapes.get(shape)
                if known_shape is None:
                    known_shape = self._share_shape(shape)
                if rest:
                    attr_pos = m.start(7)
                    if eager_hint(rest) and not self._read_eager(rest, attr_pos, name, opcode, computation, m.end()):
                        bad = m
                        break
                    offsets_append(attr_pos)
                else:
                    offsets_append(-1)
                inst = _NEW(HloInstruction, (name, opcode, known_shape, computation, *operands))
                append(inst)
                seen[name] = name
                if payload is not None:
                    payloads[name] = payload
                if is_root:
                    if root is not None:
                        raise error("one computation should have only one ROOT", src, m.start(1))
                    root = inst
            if bad is not None:
                pos = bad.start()
            elif m is not None:
                pos = m.end()
            close = CLOSE_RE.match(src, pos)
            if close is not None:
                pos = close.end()
                break
            p = skip_ws(src, pos)
            if p >= n:
                raise error(f"expects '}}' to end computation {computation.name}", src, p)
            if src[p] == "}":
                pos = p + 1
                break
            pos, inst, is_root = self._read_instruction(p, computation, seen)
            # Back to the fast path at the start of the next instruction.
            pos = skip_ws(src, pos)
            if is_root:
                if root is not None:
                    raise error("one computation should have only one ROOT", src, p)
                root = inst
        if not instructions:
            raise error(f"computation {computation.name} has no instructions", src, pos - 1)
        computation.root = root if root is not None else instructions[-1]
        return pos

    def _share_shape(self, shape: str) -> str:
        """The shared string for a shape seen for the first time, comments dropped."""
        clean = INDEX_RE.sub("", shape) if "/" in shape else shape
        clean = self.shapes.setdefault(clean, clean)
        self.shapes[shape] = clean
        return clean

    def _read_eager(
        self, rest: str, attr_pos: int, name: str, opcode: str, computation: HloComputation, end: int
    ) -> bool:
        """Read the called computations and check the enum values of a fast-path instruction.

        False leaves the instruction to the full reader (an inline computation).
        """
        calls = []
        unspecified_api = False
        pos = 0
        while True:
            m = NEXT_EAGER_RE.match(rest, pos)
            if m is None:
                break
            key, value = m.group(1), m.group(2)
            value_pos = attr_pos + m.start(2)
            kind = CALL_KINDS.get(key)
            if kind is None:
                unspecified_api |= self._check_enum(opcode, key, value, value_pos)
            elif value.startswith("{") and (key not in CALL_LIST_ATTRIBUTES or "{" in value[1:]):
                return False  # an inline computation
            else:
                targets = _computation_names(value) if value.startswith("{") else [value.removeprefix("%")]
                if targets is None:
                    return False
                for target in targets:
                    if target not in self.names:
                        raise error(f"computation does not exist: {target}", self.src, value_pos + value.find(target))
                    calls.append((kind, target))
            pos = m.end()
        if unspecified_api:
            self._refuse_unspecified_api(end)
        if calls:
            computation.calls_of[name] = tuple(calls)
        return True

    def _check_enum(self, opcode: str, key: str, value: str, value_pos: int) -> bool:
        """Raise XLA's error for an enum value it refuses; True for the API version it refuses later."""
        rule = enum_attribute(opcode, key)
        if rule is None:
            return False
        if rule.items or rule.field:
            if not value.startswith("{"):
                raise error(f"expects '{{' to start {key}, found {value[:20]!r}", self.src, value_pos)
            inner = value[1 : value.rfind("}")] if "}" in value else value[1:]
            offset = 1
            if rule.field:
                if not inner.startswith(rule.field + "="):
                    return False  # another field (result_accuracy={tolerance=...}) names nothing to check
                offset += len(rule.field) + 1
                inner = inner[len(rule.field) + 1 :]
            items = inner.split(",") if rule.items else [inner]
            for item in items:
                word = item.strip()
                if word and (message := rule.message(word)):
                    raise error(message, self.src, value_pos + offset + item.find(word))
                offset += len(item) + 1
            return False
        message = rule.message(value)
        if message:
            raise error(message, self.src, value_pos)
        return key == "api_version" and value == UNSPECIFIED_API_VERSION

    def _refuse_unspecified_api(self, end: int) -> None:
        # XLA reads the name, then refuses it where the instruction ends.
        at = skip_ws(self.src, end)
        raise error(f"Invalid API version: {UNSPECIFIED_API_VERSION}", self.src, at)

    # The full reader.

    def _read_instruction(self, pos: int, computation: HloComputation, seen: dict[str, str]):
        """Full reader for one instruction at ``pos``; returns (pos, instruction, is_root)."""
        src = self.src
        is_root = _keyword_at(src, pos, "ROOT")
        if is_root:
            pos += len("ROOT")
        name_pos = skip_ws(src, pos)
        pos, name = lexer.parse_name(src, pos, "instruction name")
        pos = lexer.expect(src, pos, "=", "'=' after the instruction name")
        if name in seen:
            raise error(f"instruction {name} is defined twice in computation {computation.name}", src, name_pos)
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
        m = _WORD_RE.match(src, op_pos)
        if m is None:
            raise error(f"expects opcode, found {lexer.describe(src, op_pos)}", src, op_pos)
        opcode = _OPCODES.get(m.group(0))
        if opcode is None:
            raise error(f"expects opcode but sees: {m.group(0)}, error: Unknown opcode: {m.group(0)}", src, op_pos)
        pos = lexer.expect(src, m.end(), "(", f"'(' after opcode {opcode}")
        payload = None
        operands: list[str] = []
        if opcode in PAYLOAD_OPCODES:
            end = lexer.skip_group(src, pos - 1)
            payload = lexer.clean_text(src[pos : end - 1])
            if opcode == "parameter" and not re.fullmatch(r"[0-9]+", payload):
                raise error("expects parameter number", src, pos)
            pos = end
        else:
            pos = self._read_operands(pos, operands, computation, seen)
        if opcode in ASYNC_START_OPCODES and not is_async_start_shape(shape):
            raise error(
                "AsyncStart expects the op shape to be in the form of ((async-operands), async-outputs, state).",
                src,
                skip_ws(src, pos),
            )
        if name is None:
            # A nested instruction takes no attributes: a comma would be ambiguous.
            attrs: dict[str, str] = {}
            calls: list[tuple[str, str]] = []
            name = _anonymous_name(opcode, seen)
        else:
            pos, attrs, calls = self._read_attributes(pos, opcode)
        inst = _NEW(HloInstruction, (name, opcode, self._share_shape(shape), computation, *operands))
        computation.instructions.append(inst)
        computation.attribute_offsets.append(-1)
        computation.decoded_attributes[name] = attrs
        if payload is not None:
            computation.payloads[name] = payload
        if calls:
            computation.calls_of[name] = tuple(calls)
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
            if lexer.can_be_shape(src, pos):
                pos, _ = lexer.parse_shape(src, pos)
            word_pos = skip_ws(src, pos)
            pos, word = lexer.parse_name(src, word_pos, "operand name")
            if not src.startswith("%", word_pos) and src.startswith("(", skip_ws(src, pos)):
                # ``opcode(...)``: a nested instruction, added before its user.
                pos, inst = self._read_rhs(item_pos, None, computation, seen)
                operands.append(inst.name)
            else:
                if word not in seen:
                    raise error(f"instruction does not exist: {word}", src, word_pos)
                operands.append(seen[word])
            pos, closed = lexer.end_of_item(src, pos, ")", "operands")
            if closed:
                return pos

    def _read_attributes(self, pos: int, opcode: str) -> tuple[int, dict[str, str], list[tuple[str, str]]]:
        """Read an instruction's attributes: raw text of each, and the computations called."""
        src = self.src
        attrs: dict[str, str] = {}
        calls: list[tuple[str, str]] = []
        unspecified_api = False
        while True:
            found = lexer.next_attribute(src, pos)
            if found is None:
                if unspecified_api:
                    self._refuse_unspecified_api(pos)
                return pos, attrs, calls
            name_pos, key, start = found
            if key in attrs:
                raise error(f"attribute {key} already exists", src, name_pos)
            kind = CALL_KINDS.get(key)
            if kind is not None:
                pos = self._read_called(start, key, kind, calls)
            elif key == "literal":
                pos = lexer.skip_literal_value(src, start)
            else:
                pos = lexer.skip_value(src, start, f"value of attribute {key!r}")
                unspecified_api |= self._check_enum(opcode, key, src[start:pos], start)
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
        """Read an unnamed computation's body after ``{``; XLA names it ``_``, ``_.1``, ..."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise error("inline computations nested too deep", self.src, pos)
        name = INLINE_COMPUTATION_NAME
        suffix = 0
        while name in self.names:
            suffix += 1
            name = f"{INLINE_COMPUTATION_NAME}.{suffix}"
        computation = HloComputation(name, self.module, False, None)
        self.names.add(name)
        pos = self._read_body(pos, computation)
        self._add_computation(computation)
        self.depth -= 1
        return pos, name


def _skip_signature(src: str, pos: int) -> int:
    """Skip ``(p: f32[2], q: (s32[], f32[])) -> shape``."""
    pos += 1
    if not src.startswith(")", skip_ws(src, pos)):
        while True:
            pos, _ = lexer.parse_name(src, pos, "parameter name")
            pos = skip_ws(src, pos)
            if src.startswith(":", pos):
                pos += 1
            pos, _ = lexer.parse_shape(src, pos)
            pos = skip_ws(src, pos)
            if src.startswith(",", pos):
                pos += 1
                continue
            break
    pos = lexer.expect(src, pos, ")", "')' to end the parameter list")
    pos = lexer.expect(src, pos, "->", "'->' after the parameter list")
    pos, _ = lexer.parse_shape(src, pos)
    return pos


def _anonymous_name(opcode: str, seen: dict[str, str]) -> str:
    name = f"{opcode}.anon"
    suffix = 0
    while name in seen:
        suffix += 1
        name = f"{opcode}.anon.{suffix}"
    return name


_NAME_ITEM_RE = re.compile(r"\s*%?(" + NAME + r")\s*", re.ASCII)


def _computation_names(value: str) -> list[str] | None:
    """Names in a braced list ``{a, %b}``; None when it holds anything else."""
    names = []
    for item in value[1:-1].split(","):
        m = _NAME_ITEM_RE.fullmatch(item)
        if m is None:
            return [] if not value[1:-1].strip() else None
        names.append(m.group(1))
    return names
