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
from hloscope.hlo.fastpath import CLOSE_GROUP, INDEX_RE, INSTR_RE, NEXT_EAGER_RE, SECTION_LINE_RE, TAIL_GROUP, TAIL_RE
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
# What TAIL_RE found in an attribute text: nothing but blanks, attributes,
# attributes with an eager one, or text only the full reader can judge.
_BLANK, _PLAIN, _EAGER, _BAD = 0, 1, 2, 3
# Distinct attribute texts remembered per parse (they repeat layer after layer).
_MAX_TAILS = 256
# The fast path leaves async starts to the full reader, which checks their shape.
_FAST_OPCODES = {op: op for op in _OPCODES if op not in ASYNC_START_OPCODES}


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
        self.tails: dict[str, int] = {}
        # The computation of a text that is a single instruction, where undefined operands become parameters.
        self.single: HloComputation | None = None
        # (opcode, shape) -> the one tuple all instructions of that opcode and shape share.
        self.forms: dict[tuple[str, str], tuple[str, str]] = {}
        self.depth = 0

    def read_module(self) -> HloModule:
        src, module = self.src, self.module
        pos = skip_ws(src, 0)
        if pos >= len(src):
            raise error("no computation found", src, pos)
        if _keyword_at(src, pos, "HloModule"):
            pos, module.name = lexer.parse_name(src, pos + len("HloModule"), "module name")
            pos = self._read_header_attributes(pos)
        elif not _keyword_at(src, pos, "ENTRY") and not self._opens_computation(pos):
            return self._read_single_instruction(pos)
        pos = skip_ws(src, pos)
        while True:
            m = _WORD_RE.match(src, pos)
            if m is None or m.group(0) not in SECTION_NAMES:
                break
            pos = self._read_section(m.end(), module.sections.setdefault(m.group(0), {}))
        pos = self._read_computations(pos)
        if not module.computations:
            raise error("no computation found", src, pos)
        if module.entry is None:
            module.entry = list(module.computations.values())[-1]
            module.entry.is_entry = True
        if not module.name:
            module.name = f"module_{module.entry.name}"
        return module

    def _opens_computation(self, pos: int) -> bool:
        """Whether the text starts ``name {``: XLA reads a module without header only then."""
        m = lexer.NAME_TOKEN_RE.match(self.src, pos)
        return m is not None and self.src.startswith("{", skip_ws(self.src, m.end()))

    def _read_single_instruction(self, pos: int) -> HloModule:
        """Text that is one instruction, as XLA reads it: a module ``_`` of one computation ``_``.

        Undefined operands that carry a shape (``add(f32[] a, f32[] b)``) become
        parameters of that computation, named as written (``_0``, ``_1``, ...
        when unnamed); an instruction written without a name is named ``_``.
        """
        src, module = self.src, self.module
        module.name = INLINE_COMPUTATION_NAME
        computation = module.entry = HloComputation(INLINE_COMPUTATION_NAME, module, True, None)
        seen: dict[str, str] = {}
        self.single = computation
        if lexer.can_be_shape(src, pos):
            pos, inst = self._read_rhs(pos, INLINE_COMPUTATION_NAME, computation, seen)
        else:
            pos, inst, _ = self._read_instruction(pos, computation, seen)
        end = skip_ws(src, pos)
        if end < len(src):
            raise error("expects the end of the text after a single instruction (no HloModule header)", src, end)
        computation.root = inst
        self._add_computation(computation)
        return module

    def _missing_operand(self, word: str | None, shape: str, seen: dict[str, str]) -> str:
        """In a single instruction, an undefined operand with a shape becomes a parameter."""
        computation = self.single
        number = str(sum(1 for inst in computation.instructions if inst.opcode == "parameter"))
        name = word if word is not None else f"_{number}"
        shape = self._share_shape(shape)
        form = self._parameter_form(self.forms.setdefault(("parameter", shape), ("parameter", shape)), number)
        computation.instructions.append(_NEW(HloInstruction, (name, form, computation)))
        computation.attribute_offsets.append(-1)
        seen[name] = name
        return name

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
            for m in iter(SECTION_LINE_RE.scanner(src, pos).match, None):
                entries[int(m.group(1))] = m.group(2)
                pos = m.end()
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

    def _read_computations(self, pos: int, inline: HloComputation | None = None) -> int:
        """Read computations from ``pos`` to the end of the text; return the end.

        With ``inline``, read that computation's body after its ``{`` and
        return after its ``}``.
        """
        src = self.src
        n = len(src)
        names = self.names
        forms = self.forms
        opcodes = _FAST_OPCODES.get
        comp = last = None
        tails = self.tails
        if inline is not None:
            comp = inline
            instructions, append, offsets_append, payloads, calls_of, seen = _body_state(comp)
            lookup = seen.__getitem__
        while True:
            # Fast path: consecutive one-line instructions, headers and closing braces, matched back to back.
            m = bad = None
            for m in iter(INSTR_RE.scanner(src, pos).match, None):
                which = m.lastindex
                if which == TAIL_GROUP:
                    if comp is None:
                        bad = m
                        break
                    is_root, name, shape, opcode, ops, literal, kind, call_kind, call_target, tail = m.group(
                        1, 2, 3, 4, 5, 6, 8, 9, 10, 11
                    )
                    form = forms.get((opcode, shape))
                    if form is None:
                        form = self._form(opcode, shape, opcodes(opcode))
                        if form is None:
                            bad = m  # the full reader says what is wrong
                            break
                    opcode = form[0]
                    payload = None
                    if ops and opcode in PAYLOAD_OPCODES:
                        literal, ops = ops, None  # constant(nan), constant(true): a word, not an operand
                    if ops:
                        if "/" in ops:
                            ops = INDEX_RE.sub("", ops)
                        try:
                            operands = tuple(map(lookup, ops.replace("%", "").split(", ")))
                        except KeyError:
                            bad = m  # the full reader reports the undefined operand
                            break
                    elif literal is not None:
                        if opcode not in PAYLOAD_OPCODES or (opcode == "parameter" and not literal.isdigit()):
                            bad = m  # operand text only the full reader can judge
                            break
                        operands = ()
                        if opcode == "parameter":
                            form = self._parameter_form(form, literal)
                        else:
                            payload = literal
                    elif opcode in PAYLOAD_OPCODES:
                        bad = m
                        break
                    else:
                        operands = ()
                    found = _BLANK
                    if tail:
                        found = tails.get(tail)
                        if found is None:
                            found = self._check_tail(tail)
                        if found == _BAD:
                            bad = m
                            break
                    calls = None
                    if call_target is not None:
                        if call_target not in names:
                            bad = m  # the full reader reports the missing computation
                            break
                        calls = [(CALL_KINDS[call_kind], call_target)]
                    if found == _EAGER:
                        tail_start = m.start(TAIL_GROUP)
                        calls = self._read_eager(tail, tail_start, opcode, tail_start + len(tail), calls)
                        if calls is False:
                            bad = m
                            break
                    offsets_append(-1 if found == _BLANK and kind is None and call_target is None else m.start(7))
                    inst = _NEW(HloInstruction, (name, form, comp, *operands))
                    append(inst)
                    seen[name] = name
                    if calls:
                        calls_of[inst] = tuple(calls)
                    if payload is not None:
                        payloads[inst] = payload
                    if is_root:
                        if comp.root is not None:
                            raise error("one computation should have only one ROOT", src, m.start(1))
                        comp.root = inst
                elif which == CLOSE_GROUP:
                    if comp is None:
                        bad = m
                        break
                    self._close(comp, seen, m.start(CLOSE_GROUP))
                    if inline is not None:
                        return m.end()
                    self._add_computation(comp)
                    last, comp = comp, None
                elif which is not None:
                    if comp is not None or src.startswith("ROOT ", m.start()):
                        bad = m
                        break
                    is_entry, name = m.group(13, 14)
                    span = m.span(15) if m.start(15) >= 0 else None
                    comp = self._open(name, is_entry is not None, span, m.start(14), m.start())
                    instructions, append, offsets_append, payloads, calls_of, seen = _body_state(comp)
                    lookup = seen.__getitem__
            if comp is not None and len(seen) != len(instructions):
                self._report_duplicate(comp)
            if bad is not None:
                pos = bad.start()
            elif m is not None:
                pos = m.end()
            # The full reader takes one step: a header, a closing brace or an instruction.
            p = skip_ws(src, pos)
            if comp is None:
                if p >= n:
                    return p
                if src[p] == "," and last is not None:
                    pos = self._read_computation_attributes(last, p)
                    continue
                comp, pos = self._read_header(p)
                instructions, append, offsets_append, payloads, calls_of, seen = _body_state(comp)
                lookup = seen.__getitem__
                continue
            if p >= n:
                raise error(f"expects '}}' to end computation {comp.name}", src, p)
            if src[p] == "}":
                self._close(comp, seen, p)
                pos = p + 1
                if inline is not None:
                    return pos
                self._add_computation(comp)
                last, comp = comp, None
                continue
            pos, inst, is_root = self._read_instruction(p, comp, seen)
            if is_root:
                if comp.root is not None:
                    raise error("one computation should have only one ROOT", src, p)
                comp.root = inst

    def _check_tail(self, tail: str) -> int:
        """What an instruction line's remaining attribute text holds (see _BLANK ... _BAD), remembered."""
        m = TAIL_RE.fullmatch(tail)
        found = _BAD if m is None else _EAGER if m.group(1) is not None else _PLAIN if tail.strip() else _BLANK
        if len(self.tails) >= _MAX_TAILS:
            self.tails.clear()
        self.tails[tail] = found
        return found

    def _open(self, name: str, is_entry: bool, signature: tuple[int, int] | None, name_pos: int, start: int) -> HloComputation:
        """A new computation; its name must be new and only one may be the ENTRY."""
        if name in self.names:
            raise error(f"computation {name} is defined twice", self.src, name_pos)
        if is_entry:
            if self.module.entry is not None:
                raise error("expects only one ENTRY computation", self.src, start)
            self.module.entry = computation = HloComputation(name, self.module, True, signature)
            return computation
        return HloComputation(name, self.module, False, signature)

    def _read_header(self, pos: int) -> tuple[HloComputation, int]:
        """Full reader for ``ENTRY? name (params) -> shape {``."""
        src = self.src
        start = pos
        is_entry = _keyword_at(src, pos, "ENTRY")
        if is_entry:
            pos += len("ENTRY")
        name_pos = skip_ws(src, pos)
        pos, name = lexer.parse_name(src, pos, "computation name")
        signature = None
        sig_pos = skip_ws(src, pos)
        if src.startswith("(", sig_pos):
            pos = _skip_signature(src, sig_pos)
            signature = (sig_pos, pos)
        pos = lexer.expect(src, pos, "{", "'{' to start the computation body")
        return self._open(name, is_entry, signature, name_pos, start), pos

    def _close(self, computation: HloComputation, seen: dict[str, str], pos: int) -> None:
        instructions = computation.instructions
        if not instructions:
            raise error(f"computation {computation.name} has no instructions", self.src, pos)
        if len(seen) != len(instructions):
            self._report_duplicate(computation)
        if computation.root is None:
            computation.root = instructions[-1]

    def _read_computation_attributes(self, computation: HloComputation, pos: int) -> int:
        """``, execution_thread="x"`` after a computation's ``}``."""
        src = self.src
        found = lexer.next_attribute(src, pos)
        while found is not None:
            name_pos, key, value_pos = found
            if key != "execution_thread":
                raise error(f"unexpected computation attribute {key!r}", src, name_pos)
            pos = lexer.skip_value(src, value_pos)
            computation.execution_thread = src[value_pos:pos].strip("\"'")
            found = lexer.next_attribute(src, pos)
        return pos

    def _add_computation(self, computation: HloComputation) -> None:
        self.names.add(computation.name)
        self.module.computations[computation.name] = computation

    def _report_duplicate(self, computation: HloComputation) -> None:
        """Raise for the first instruction name defined twice in ``computation``."""
        names: set[str] = set()
        for inst in computation.instructions:
            if inst.name in names:
                break
            names.add(inst.name)
        definition = re.compile(r"(?<![\w.%-])%?" + re.escape(inst.name) + r"\s*=(?!=)")
        at = [m.start() for m in definition.finditer(self.src)]
        place = at[1] if len(at) > 1 else 0
        raise error(f"instruction {inst.name} is defined twice in computation {computation.name}", self.src, place)

    def _form(self, opcode_text: str, shape: str, opcode: str | None) -> tuple[str, str] | None:
        """The shared (opcode, shape) of a fast-path instruction; None for an opcode it does not take."""
        if opcode is None:
            return None
        clean = self._share_shape(shape)
        form = self.forms.setdefault((opcode, clean), (opcode, clean))
        self.forms[(opcode_text, shape)] = form
        return form

    def _parameter_form(self, form: tuple[str, str], number: str) -> tuple[str, str, str]:
        """The shared (parameter, shape, number) form: parameters carry their number in it."""
        key = (form[0], form[1], number)
        return self.forms.setdefault(key, key)  # type: ignore[arg-type]

    def _share_shape(self, shape: str) -> str:
        """The shared string for a shape seen for the first time, comments dropped."""
        clean = INDEX_RE.sub("", shape) if "/" in shape else shape
        clean = self.shapes.setdefault(clean, clean)
        self.shapes[shape] = clean
        return clean

    def _read_eager(self, rest: str, rest_pos: int, opcode: str, end: int, calls: list | None):
        """Read the called computations and check the enum values among a fast-path instruction's attributes.

        ``calls`` holds calls read already; returns them with the new ones,
        or False to leave the instruction to the full reader (an inline computation).
        """
        calls = list(calls or ())
        unspecified_api = False
        pos = 0
        while True:
            m = NEXT_EAGER_RE.match(rest, pos)
            if m is None:
                break
            key, value = m.group(1), m.group(2)
            value_pos = rest_pos + m.start(2)
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
        return calls

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
        shape = self._share_shape(shape)
        form = self.forms.setdefault((opcode, shape), (opcode, shape))
        if opcode == "parameter":
            form, payload = self._parameter_form(form, payload), None
        inst = _NEW(HloInstruction, (name, form, computation, *operands))
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
            shape = None
            if lexer.can_be_shape(src, pos):
                pos, shape = lexer.parse_shape(src, pos)
            word_pos = skip_ws(src, pos)
            if shape is not None and self.single is computation and src.startswith((",", ")"), word_pos):
                operands.append(self._missing_operand(None, shape, seen))
                pos = word_pos
            else:
                pos, word = lexer.parse_name(src, word_pos, "operand name")
                if not src.startswith("%", word_pos) and src.startswith("(", skip_ws(src, pos)):
                    # ``opcode(...)``: a nested instruction, added before its user.
                    pos, inst = self._read_rhs(item_pos, None, computation, seen)
                    operands.append(inst.name)
                elif word in seen:
                    operands.append(seen[word])
                elif shape is not None and self.single is computation:
                    operands.append(self._missing_operand(word, shape, seen))
                else:
                    raise error(f"instruction does not exist: {word}", src, word_pos)
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
        pos = self._read_computations(pos, inline=computation)
        self._add_computation(computation)
        self.depth -= 1
        return pos, name


def _body_state(computation: HloComputation):
    """What the fast path appends to while reading ``computation``'s body."""
    instructions = computation.instructions
    # name -> the same string: operands share their producer's name string,
    # and a missing key is an undefined operand.
    seen: dict[str, str] = {}
    return (
        instructions,
        instructions.append,
        computation.attribute_offsets.append,
        computation.module.payloads,
        computation.module.calls_of,
        seen,
    )


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
