"""A module's header line (``HloModule name, attribute=value, ...``) and its sections.

The sections (FileNames, FunctionNames, FileLocations, StackFrames) hold the
source locations JAX writes into a module's text; entries stay raw text.
"""

from __future__ import annotations

from hloscope.hlo import lexer
from hloscope.hlo.fastpath import HEADER_ATTRIBUTE_RE, HEADER_RE, SECTION_LINE_RE
from hloscope.hlo.grammar import HEADER_ATTRIBUTES, HEADER_BOOL_ATTRIBUTES
from hloscope.hlo.lexer import error, skip_ws
from hloscope.hlo.memos import entry_layout_flawed
from hloscope.hlo.syntax import HEADER_SYNTAX
from hloscope.hlo.values import HEADER_CHECKS

SECTION_NAMES = ("FileNames", "FunctionNames", "FileLocations", "StackFrames")
_LAYOUT = "entry_computation_layout"


def read_module_header(src: str, module, pos: int) -> int:
    """Read ``HloModule name, attribute=value, ...`` at ``pos`` into ``module``; return the end.

    The one-line form at once, else token by token. Raises HloParseError
    where XLA refuses the header.
    """
    m = HEADER_RE.match(src, pos)
    if m is not None:
        pairs = HEADER_ATTRIBUTE_RE.findall(m.group(2))
        attrs = dict(pairs)
        # What XLA refuses (an unknown name, a name twice, a bad boolean, a shape in the entry layout)
        # takes the reader below.
        if (
            len(attrs) == len(pairs)
            and attrs.keys() <= HEADER_ATTRIBUTES
            and not attrs.keys() & HEADER_SYNTAX.keys() - HEADER_CHECKS.keys() - {_LAYOUT}
            and not (_LAYOUT in attrs and entry_layout_flawed(attrs[_LAYOUT]))
            and all(len(attrs[key]) < 19 and attrs[key].lstrip("-").isdigit() for key in attrs.keys() & HEADER_CHECKS.keys())
            and all(attrs.get(key, "true") in ("true", "false") for key in HEADER_BOOL_ATTRIBUTES)
        ):
            module.name = m.group(1)
            module.attributes = attrs
            return m.end()
    pos, module.name = lexer.parse_name(src, pos + len("HloModule"), "module name")
    return _read_header_attributes(src, module.attributes, pos)


def _read_header_attributes(src: str, attrs: dict[str, str], pos: int) -> int:
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
        check = HEADER_SYNTAX.get(key)
        pos = check(src, start) if check else lexer.skip_value(src, start, f"value of attribute {key!r}")
        if key in HEADER_BOOL_ATTRIBUTES and src[start:pos] not in ("true", "false"):
            raise error("expects true or false", src, start)
        attrs[key] = src[start:pos]


def read_section(src: str, pos: int, entries: dict[int, str]) -> int:
    """Read the ``id value`` lines of a FileNames/StackFrames/... section into ``entries``; return the end."""
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
