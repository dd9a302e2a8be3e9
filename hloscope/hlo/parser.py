"""Parse HLO text into an HloModule.

Two readers share the work. Regular expressions (``hloscope.hlo.fastpath``)
recognise the common one-line instruction and computation header and must
match a whole line, attributes included; anything else (comments, lines that
wrap, nested instructions, inline computations, unusual spacing) goes to the
token-based reader (``hloscope.hlo.reader``, built on ``hloscope.hlo.lexer``),
which follows XLA's grammar. Both produce the same records, so the fast path
only changes speed. A third way changes only speed too: a computation whose
body repeats an earlier one's but for its ``%names`` (an unrolled stack's
fused computations, once per layer) is made from that one's records
(``hloscope.hlo.copies``).
"""

from __future__ import annotations

from hloscope.hlo import lexer, literals
from hloscope.hlo.agreement import signature_error, typed_operands_agree
from hloscope.hlo.checks import refuse_shared_async_computation, report_duplicate
from hloscope.hlo.collection import collection_paused
from hloscope.hlo.copies import MIN_COMPUTATIONS, Copies
from hloscope.hlo.errors import HloParseError
from hloscope.hlo.fastpath import (
    ATTRIBUTES,
    CLOSE,
    ENTRY,
    INDEX_RE,
    INSTR_RE,
    PLAIN_TAIL,
    ROOT,
    SIGNATURE,
    TAIL,
    TYPED_NAME_RE,
)
from hloscope.hlo.grammar import CALL_KINDS, NAME_KEYWORDS
from hloscope.hlo.header import SECTION_NAMES, read_module_header, read_section
from hloscope.hlo.lexer import error, skip_ws
from hloscope.hlo.module import HloComputation, HloInstruction, HloModule
from hloscope.hlo.memos import BAD, BLANK, EAGER, FORM_PLAIN, FORMS, form_of, tail_kind
from hloscope.hlo.reader import CANNOT_PARSE_OPERAND, INLINE_COMPUTATION_NAME, NEW_RECORD, WORD_RE, Reader, keyword_at


def parse_hlo(text: str) -> HloModule:
    """Parse HLO text into an HloModule; raise HloParseError (line, column) on bad text."""
    if not isinstance(text, str):
        raise TypeError(f"parse_hlo expects str, not {type(text).__name__}")
    try:
        with collection_paused():
            return ModuleReader(text).read_module()
    except RecursionError:
        raise HloParseError("nesting too deep", text, 0) from None


class ModuleReader(Reader):
    """The module reader: header, sections and computations, by the fast path where it can."""

    open_signature: tuple[int, int] | None = None  # the span of the signature of the computation being read

    def __init__(self, src: str):
        super().__init__(src)
        self.copies = Copies(src)

    def read_module(self) -> HloModule:
        src, module = self.src, self.module
        pos = skip_ws(src, 0)
        if pos >= len(src):
            raise error("no computation found", src, pos)
        if keyword_at(src, pos, "HloModule"):
            pos = read_module_header(src, module, pos)
        elif not keyword_at(src, pos, "ENTRY") and not self._opens_computation(pos):
            return self._read_single_instruction(pos)
        pos = skip_ws(src, pos)
        while True:
            m = WORD_RE.match(src, pos)
            if m is None or m.group(0) not in SECTION_NAMES:
                break
            pos = read_section(src, m.end(), module.sections.setdefault(m.group(0), {}))
        try:
            pos = self._read_computations(pos)
        except HloParseError:
            skipped, signature = self.skipped_operand, self.open_signature
            if signature is not None and (skipped is None or skipped > signature[0]):
                lexer.skip_signature(src, signature[0])  # XLA reads a computation's signature before its body
            if skipped is not None:  # noted before whatever failed since
                raise error(f"{CANNOT_PARSE_OPERAND} expects name (XLA skips an empty operand)", src, skipped) from None
            raise
        if not module.computations:
            raise error("no computation found", src, pos)
        if module.entry is None:
            module.entry = list(module.computations.values())[-1]
            module.entry.is_entry = True
        if not module.name:
            module.name = f"module_{module.entry.name}"
        refuse_shared_async_computation(module)
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
        self.names.add(INLINE_COMPUTATION_NAME)  # inline computations in it are _.1, _.2, ...
        if lexer.can_be_shape(src, pos):
            pos, inst = self._read_rhs(pos, INLINE_COMPUTATION_NAME, computation, seen)
        else:
            pos, inst, _ = self._read_instruction(pos, computation, seen)
        end = skip_ws(src, pos)
        if end < len(src):
            raise error("expects the end of the text after a single instruction (no HloModule header)", src, end)
        computation.root = inst
        # XLA lists the instruction's computation first, then the inline ones it holds.
        module.computations = {computation.name: computation, **module.computations}
        return module

    # Computations.

    def _read_computations(self, pos: int, inline: HloComputation | None = None) -> int:
        """Read computations from ``pos`` to the end of the text; return the end.

        With ``inline``, read that computation's body after its ``{`` and
        return after its ``}``.
        """
        src = self.src
        n = len(src)
        names = self.names
        forms_get = FORMS.get
        parameter_numbers = self.parameter_numbers
        comp = last = None
        copies = self.copies
        copied = -1
        if inline is not None:
            comp = inline
            instructions, append, offsets_append, payloads, calls_of, seen, numbers = _body_state(comp, parameter_numbers)
            lookup = seen.__getitem__
        while True:
            # Fast path: consecutive one-line instructions, headers and closing braces, matched back to back.
            m = bad = None
            for m in iter(INSTR_RE.scanner(src, pos).match, None):
                which = m.lastindex
                if which == PLAIN_TAIL or which == TAIL:
                    if comp is None:
                        bad = m
                        break
                    if which == PLAIN_TAIL:
                        name, key, ops, tail = m.groups()[:PLAIN_TAIL]
                        is_root = typed = other = kind = call_kind = call_target = None
                        attributes_start = m.start(PLAIN_TAIL)
                    else:
                        is_root, name, key, ops, typed, other, _, kind, call_kind, call_target, tail = m.groups()[
                            ROOT - 1 : TAIL
                        ]
                        attributes_start = m.start(ATTRIBUTES)
                    form = forms_get(key)
                    if form is None:
                        form = form_of(key)
                        if form is None:
                            bad = m  # the full reader says what is wrong
                            break
                    opcode, shape, form_kind, count, required, allowed, tails_get = form
                    payload = None
                    if form_kind == FORM_PLAIN:
                        if ops:
                            if "/" in ops:
                                ops = INDEX_RE.sub("", ops)
                            try:
                                operands = tuple(map(lookup, ops.replace("%", "").split(", ")))
                            except KeyError:
                                bad = m  # the full reader reports the undefined operand
                                break
                        elif typed is not None:
                            if lexer.unknown_type_at(typed) >= 0:
                                bad = m  # the full reader refuses the type as XLA does
                                break
                            try:
                                operands = tuple(map(lookup, TYPED_NAME_RE.findall(typed)))
                            except KeyError:
                                bad = m
                                break
                            if not typed_operands_agree(typed, self._shapes(comp)):
                                bad = m  # the full reader refuses an operand shape its producer does not have
                                break
                        elif other is not None:
                            bad = m  # operand text only the full reader can judge
                            break
                        else:
                            operands = ()
                        if count != len(operands) and count >= 0:
                            bad = m  # the full reader refuses the operand count
                            break
                    else:
                        # constant(...) and parameter(...): a literal or a number, not operands.
                        payload = ops or other or ""  # parameter() holds neither
                        if opcode == "parameter":
                            if (
                                not payload.isdigit()
                                or payload in numbers
                                or (payload[0] == "0" and payload != "0")
                                or len(payload) > 18
                            ):
                                # The full reader refuses a number used twice or past int64 as XLA does; reads 007 as 7.
                                bad = m
                                break
                            # Noted here, once: should the line still go to the full reader, its name shows it is this one.
                            numbers[payload] = name
                        elif not payload or (opcode == "constant" and literals.literal_error(shape, payload)):
                            bad = m  # the full reader reports what XLA refuses in the literal
                            break
                        operands = ()
                    found = BLANK
                    if tail:
                        found = tails_get(tail)
                        if found is None:
                            found = tail_kind(tail, allowed)
                        if found == BAD:
                            bad = m
                            break
                    if required is not None:
                        # Substring checks, cheap: a name inside another value may pass here, never fail.
                        present = tail if call_kind is None else f", {call_kind}={tail}"
                        present = present if kind is None else ", kind=" + present
                        if not all(marker in present for marker in required):
                            bad = m  # the full reader names the missing attribute
                            break
                    if kind is not None and "kind" not in allowed:
                        bad = m  # the full reader refuses the attribute
                        break
                    calls = None
                    if call_target is not None:
                        if call_target not in names or call_kind not in allowed:
                            bad = m  # the full reader reports the missing computation or refuses the attribute
                            break
                        calls = [(CALL_KINDS[call_kind], call_target)]
                    if found == EAGER:
                        tail_start = m.start(which)
                        tail_end = tail_start + len(tail)
                        calls = self._read_eager(tail, tail_start, opcode, tail_end, calls, comp, operands, seen, shape)
                        if calls is False:
                            bad = m
                            break
                    offsets_append(-1 if found == BLANK and kind is None and call_target is None else attributes_start)
                    inst = NEW_RECORD(HloInstruction, (name, opcode, shape, comp, *operands))
                    append(inst)
                    seen[name] = name
                    if calls:
                        calls_of[inst] = tuple(calls)
                    if payload is not None:
                        payloads[inst] = payload
                    if is_root:
                        if comp.root is not None:
                            raise error("one computation should have only one ROOT", src, m.start(ROOT))
                        comp.root = inst
                elif which == CLOSE:
                    if comp is None:
                        bad = m
                        break
                    self._close(comp, seen, m.start(CLOSE))
                    if inline is not None:
                        return m.end()
                    copies.read_whole(comp, m.start(CLOSE))
                    self._add_computation(comp)
                    last, comp = comp, None
                elif which is not None:
                    if comp is not None or src.startswith("ROOT ", m.start()):
                        bad = m
                        break
                    is_entry, name = m.group(ENTRY, ENTRY + 1)
                    span = m.span(SIGNATURE) if m.start(SIGNATURE) >= 0 else None
                    comp = self._open(name, is_entry is not None, span, m.start(ENTRY + 1), m.start())
                    if (
                        src[m.start(ENTRY + 1) - 1] == "%"
                        and is_entry is None
                        and inline is None
                        and len(names) >= MIN_COMPUTATIONS
                    ):
                        # Named as XLA prints optimized modules: the body may copy an earlier one's (the entry,
                        # one of a kind and often most of the text, is not looked at).
                        copied = copies.copy(comp, m.end(), names)
                        if copied >= 0:
                            self._close(comp, None, copied)
                            self._add_computation(comp)
                            last, comp = comp, None
                            break
                    instructions, append, offsets_append, payloads, calls_of, seen, numbers = _body_state(comp, parameter_numbers)
                    lookup = seen.__getitem__
            if copied >= 0:
                pos, copied = copied, -1
                continue
            if comp is not None:
                copies.pending = None  # the full reader takes part of this body: no later body copies it
                if len(seen) != len(instructions):
                    report_duplicate(self.src, comp, self.open_start)
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
                instructions, append, offsets_append, payloads, calls_of, seen, numbers = _body_state(comp, parameter_numbers)
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

    def _open(self, name: str, is_entry: bool, signature: tuple[int, int] | None, name_pos: int, start: int) -> HloComputation:
        """A new computation; its name must be new and only one may be the ENTRY."""
        if name in self.names:
            # XLA's message, at the % where a name has one.
            raise error(f"computation already exists: {name}", self.src, name_pos - (self.src[name_pos - 1] == "%"))
        if name in NAME_KEYWORDS and self.src[name_pos] != "%":
            raise error("expects name", self.src, name_pos)
        self.open_signature = signature
        self.open_start = start
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
        is_entry = keyword_at(src, pos, "ENTRY")
        if is_entry:
            pos += len("ENTRY")
        name_pos = skip_ws(src, pos)
        if keyword_at(src, name_pos, "HloModule"):
            # A keyword to XLA's lexer, never a name: a second module's header (XLA: "expects name").
            raise error("expects name, found HloModule: one text holds one module", src, name_pos)
        pos, name = lexer.parse_name(src, pos, "computation name")
        signature = None
        sig_pos = skip_ws(src, pos)
        if src.startswith("(", sig_pos):
            pos = lexer.skip_signature(src, sig_pos)
            signature = (sig_pos, pos)
        pos = lexer.expect(src, pos, "{", "'{' to start the computation body")
        return self._open(name, is_entry, signature, name_pos, start), pos

    def _close(self, computation: HloComputation, seen: dict[str, str] | None, pos: int) -> None:
        """Check a computation read to its ``}`` (``seen``: its names, None for a copy, whose names are distinct)."""
        instructions = computation.instructions
        if not instructions:
            raise error(f"computation {computation.name} has no instructions", self.src, pos)
        if seen is not None and len(seen) != len(instructions):
            report_duplicate(self.src, computation, self.open_start)
        if computation.root is None:
            computation.root = instructions[-1]
        self.parameter_numbers.pop(computation, None)  # needed only while the body is read
        self.open_signature = None
        self.shape_indexes.pop(computation, None)
        span = computation.signature_span
        if span is not None and not _ends_with_root_shape(self.src, span, computation.root.shape):
            if found := signature_error(self.src, computation):
                raise error(found[1], self.src, found[0])

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

def _ends_with_root_shape(src: str, span: tuple[int, int], shape: str) -> bool:
    """Whether a signature ends with `` -> `` and its root's shape as written, or without the layout of
    an array (`` -> f32[2]`` for ``f32[2]{0}``): most do, and then they are compatible at a glance."""
    end = span[1]
    if src.endswith(shape, *span) and src[end - len(shape) - 1] == " ":
        return True
    bare = shape[: shape.rfind("]") + 1] if shape.endswith("}") and not shape.startswith("(") else None
    return bare is not None and src.endswith(bare, *span) and src[end - len(bare) - 1] == " "


def _body_state(computation: HloComputation, parameter_numbers: dict):
    """What the fast path appends to while reading ``computation``'s body; its parameter numbers read so far."""
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
        parameter_numbers.setdefault(computation, {}),
    )

