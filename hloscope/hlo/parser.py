"""Parse HLO text into an HloModule.

Two readers share the work. A regular expression recognises the common
one-line instruction (and computation header) and must match a whole line,
attributes included; anything else (comments, lines that wrap, nested
instructions, unusual spacing) goes to the token-based reader built on
``hloscope.hlo.lexer``, which follows XLA's grammar. Both produce the same
records, so the fast path only changes speed.
"""

from __future__ import annotations

import gc
import re

from hloscope.hlo import lexer
from hloscope.hlo.errors import HloParseError
from hloscope.hlo.fastpath import ATTR_RE, CALL_HINT_RE, CLOSE_RE, COMP_RE, INDEX_RE, INSTR_RE
from hloscope.hlo.lexer import NAME, NAME_CHARS, error, skip_ws
from hloscope.hlo.module import CALL_KINDS, HloComputation, HloInstruction, HloModule

SECTION_NAMES = ("FileNames", "FunctionNames", "FileLocations", "StackFrames")
# Opcodes whose parentheses hold a literal or a number, not operand names.
PAYLOAD_OPCODES = frozenset({"constant", "parameter"})
# Nested instructions (``add(f32[] maximum(x, y), z)``) deeper than this are refused.
MAX_NESTING = 200

_WORD_RE = re.compile(NAME, re.ASCII)


def parse_hlo(text: str) -> HloModule:
    """Parse HLO text into an HloModule; raise HloParseError on bad text."""
    if not isinstance(text, str):
        raise TypeError(f"parse_hlo expects str, not {type(text).__name__}")
    # The parser allocates many small objects and frees none; collection
    # passes during parsing only cost time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_module(text)
    except RecursionError:
        raise HloParseError("nesting too deep", text, 0) from None
    finally:
        if gc_was_enabled:
            gc.enable()


def _keyword_at(src: str, pos: int, word: str) -> bool:
    end = pos + len(word)
    return src.startswith(word, pos) and (end >= len(src) or src[end] not in NAME_CHARS)


def _parse_module(src: str) -> HloModule:
    module = HloModule(src)
    pos = skip_ws(src, 0)
    if pos >= len(src):
        raise error("no computation found", src, pos)
    if _keyword_at(src, pos, "HloModule"):
        pos, module.name = lexer.parse_name(src, pos + len("HloModule"), "module name")
        pos, module.attributes = read_attributes(src, pos)
    pos = skip_ws(src, pos)
    while True:
        m = _WORD_RE.match(src, pos)
        if m is None or m.group(0) not in SECTION_NAMES:
            break
        pos = _parse_section(src, m.end(), module.sections.setdefault(m.group(0), {}))
    names: set[str] = set()
    while pos < len(src):
        pos = _parse_computation(src, pos, module, names)
        pos = skip_ws(src, pos)
    if not module.computations:
        raise error("no computation found", src, pos)
    module._shared_strings = {}
    if module.entry is None:
        module.entry = list(module.computations.values())[-1]
        module.entry.is_entry = True
    if not module.name:
        module.name = f"module_{module.entry.name}"
    return module


def _parse_section(src: str, pos: int, entries: dict[int, str]) -> int:
    """Read ``id value`` lines of a FileNames/StackFrames/... section."""
    while True:
        pos = skip_ws(src, pos)
        if pos >= len(src) or not (src[pos].isdigit()):
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


def read_attributes(src: str, pos: int, strict: bool = True) -> tuple[int, dict[str, str]]:
    """Read ``, name=value`` pairs; return the end and raw value texts.

    ``strict=False`` lets a repeated attribute overwrite the earlier one, as
    the fast path read it, instead of failing.
    """
    attrs: dict[str, str] = {}
    while True:
        after = skip_ws(src, pos)
        if not src.startswith(",", after):
            return pos, attrs
        name_pos = skip_ws(src, after + 1)
        m = _WORD_RE.match(src, name_pos)
        if m is None:
            raise error(f"expects attribute name, found {lexer.describe(src, name_pos)}", src, name_pos)
        eq = skip_ws(src, m.end())
        if not src.startswith("=", eq):
            raise error(f"expects '=' after attribute name {m.group(0)!r}", src, eq)
        start = skip_ws(src, eq + 1)
        pos = lexer.skip_value(src, start, f"value of attribute {m.group(0)!r}")
        if strict and m.group(0) in attrs:
            raise error(f"attribute {m.group(0)} already exists", src, name_pos)
        attrs[m.group(0)] = src[start:pos]


def _parse_computation(src: str, pos: int, module: HloModule, names: set[str]) -> int:
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
        pos = skip_ws(src, lexer.expect(src, pos, "{", "'{' to start the computation body"))
    if name in names:
        raise error(f"computation {name} is defined twice", src, name_pos)
    if is_entry and module.entry is not None:
        raise error("expects only one ENTRY computation", src, start)
    computation = HloComputation(name, module, is_entry, signature)
    pos = _parse_body(src, pos, computation, names)
    pos, attrs = read_attributes(src, pos)
    for key, value in attrs.items():
        if key != "execution_thread":
            raise error(f"unexpected computation attribute {key!r}", src, src.rfind(key, 0, pos))
        computation.execution_thread = value.strip("\"'")
    names.add(name)
    module.computations[name] = computation
    if is_entry:
        module.entry = computation
    return pos


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


def _parse_body(src: str, pos: int, computation: HloComputation, comp_names: set[str]) -> int:
    """Read instructions up to and including the closing ``}``."""
    instructions = computation.instructions
    append = instructions.append
    # name -> the same string: operands share their producer's name string,
    # and a missing key is an undefined operand.
    seen: dict[str, str] = {}
    lookup = seen.__getitem__
    # One string object per distinct opcode and shape across the module.
    share = computation.module._shared_strings.setdefault
    call_hint = CALL_HINT_RE.search
    payload_opcodes = PAYLOAD_OPCODES
    root = None
    n = len(src)
    body_start = pos
    while True:
        # Fast path: consecutive one-line instructions, matched back to back.
        m = bad = None
        for m in iter(INSTR_RE.scanner(src, pos).match, None):
            is_root, name, shape, opcode, ops, literal, rest = m.groups()
            payload = None
            if opcode in payload_opcodes:
                payload = ops if literal is None else literal
                operands = []
                if opcode == "parameter" and not (payload.isascii() and payload.isdigit()):
                    bad = m
                    break
            elif ops:
                if "/" in ops:
                    ops = INDEX_RE.sub("", ops)
                try:
                    operands = list(map(lookup, ops.replace("%", "").split(", ")))
                except KeyError:
                    bad = m  # the full reader reports the undefined operand
                    break
            elif literal is not None:
                bad = m  # operand text only the full reader can judge
                break
            else:
                operands = []
            if "/" in shape:
                shape = INDEX_RE.sub("", shape)
            attr_pos = None
            calls = ()
            if rest:
                attr_pos = m.start(7)
                if call_hint(rest):
                    attrs = {a.group(1): a.group(2) for a in ATTR_RE.finditer(rest)}
                    calls = _calls_from_attrs(attrs, src, attr_pos, comp_names)
            inst = HloInstruction(
                name, share(opcode, opcode), share(shape, shape), operands, payload, computation, calls, attr_pos
            )
            append(inst)
            seen[name] = name
            if is_root:
                if root is not None:
                    raise error("one computation should have only one ROOT", src, m.start(1))
                root = inst
        if len(seen) != len(instructions):
            _report_duplicate(src, body_start, computation)
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
        pos, inst, is_root = _parse_instruction(src, p, computation, seen, comp_names)
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


def _report_duplicate(src: str, body_start: int, computation: HloComputation) -> None:
    """Raise for the first instruction name defined twice in ``computation``."""
    names: set[str] = set()
    for inst in computation.instructions:
        if inst.name in names:
            break
        names.add(inst.name)
    definition = re.compile(r"(?<![\w.%-])%?" + re.escape(inst.name) + r" = ")
    first = definition.search(src, body_start)
    second = definition.search(src, first.end()) if first else None
    at = second.start() if second else body_start
    raise error(f"instruction {inst.name} is defined twice in computation {computation.name}", src, at)


def _parse_instruction(src, pos, computation, seen, comp_names):
    """Full reader for one instruction at ``pos``; returns (pos, instruction, is_root)."""
    is_root = _keyword_at(src, pos, "ROOT")
    if is_root:
        pos += len("ROOT")
    name_pos = skip_ws(src, pos)
    pos, name = lexer.parse_name(src, pos, "instruction name")
    pos = lexer.expect(src, pos, "=", "'=' after the instruction name")
    if name in seen:
        raise error(f"instruction {name} is defined twice in computation {computation.name}", src, name_pos)
    pos, inst = _parse_rhs(src, pos, name, computation, seen, comp_names, 0)
    return pos, inst, is_root


def _parse_rhs(src, pos, name, computation, seen, comp_names, depth):
    """Read ``shape opcode(operands), attributes`` and add the instruction."""
    if depth > MAX_NESTING:
        raise error("nested instructions too deep", src, pos)
    pos = skip_ws(src, pos)
    shape = ""
    if lexer.can_be_shape(src, pos):
        pos, shape = lexer.parse_shape(src, pos)
    op_pos = skip_ws(src, pos)
    m = _WORD_RE.match(src, op_pos)
    if m is None:
        raise error(f"expects opcode, found {lexer.describe(src, op_pos)}", src, op_pos)
    opcode = m.group(0)
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
        pos = _parse_operands(src, pos, operands, computation, seen, comp_names, depth)
    if name is None:
        # A nested instruction takes no attributes: a comma would be ambiguous.
        attrs: dict[str, str] = {}
        name = _anonymous_name(opcode, seen)
    else:
        attrs_pos = pos
        pos, attrs = read_attributes(src, pos)
    calls = _calls_from_attrs(attrs, src, attrs_pos, comp_names) if attrs else ()
    inst = HloInstruction(name, opcode, shape, operands, payload, computation, calls, None, attrs)
    computation.instructions.append(inst)
    seen[name] = name
    return pos, inst


def _anonymous_name(opcode: str, seen: dict[str, str]) -> str:
    name = f"{opcode}.anon"
    suffix = 0
    while name in seen:
        suffix += 1
        name = f"{opcode}.anon.{suffix}"
    return name


def _parse_operands(src, pos, operands, computation, seen, comp_names, depth):
    """Read operands after ``(`` up to and including ``)``."""
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
            pos, inst = _parse_rhs(src, item_pos, None, computation, seen, comp_names, depth + 1)
            operands.append(inst.name)
        else:
            if word not in seen:
                raise error(f"instruction does not exist: {word}", src, word_pos)
            operands.append(seen[word])
        pos, closed = lexer.end_of_item(src, pos, ")", "operands")
        if closed:
            return pos




def _calls_from_attrs(attrs: dict[str, str], src: str, attrs_pos: int, comp_names: set[str]):
    """(kind, computation) pairs named by call attributes; undefined names fail.

    ``attrs_pos`` is where the attribute text starts, used to place errors.
    """
    calls = []
    for key, value in attrs.items():
        kind = CALL_KINDS.get(key)
        if kind is None:
            continue
        for target in _computation_names(value):
            if target not in comp_names:
                key_at = src.find(key + "=", attrs_pos)
                at = src.find(target, key_at) if key_at >= 0 else -1
                raise error(f"computation does not exist: {target}", src, at if at >= 0 else attrs_pos)
            calls.append((kind, target))
    return tuple(calls)


_NAME_ITEM_RE = re.compile(r"\s*%?(" + NAME + r")\s*", re.ASCII)


def _computation_names(value: str) -> list[str]:
    if "/" in value or "\n" in value:
        value = lexer.clean_text(value)
    if not value.startswith("{"):
        return [value[1:] if value.startswith("%") else value]
    names = []
    for item in value[1:-1].split(","):
        m = _NAME_ITEM_RE.fullmatch(item)
        if m is None:
            # Empty, or an inline computation body rather than a list of names.
            return []
        names.append(m.group(1))
    return names
