"""Decode raw attribute text on demand: integer lists, strings, metadata, backend_config."""

from __future__ import annotations

import json
import re

from hloscope.hlo.lexer import clean_text

_INT_RE = re.compile(r"-?[0-9]+", re.ASCII)
# Longer digit runs are not sizes or indices; int() would also refuse past 4300 digits.
_SMALL_INT_RE = re.compile(r"-?[0-9]{1,30}", re.ASCII)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\", "0": "\0"}
_METADATA_ITEM_RE = re.compile(r"([A-Za-z_][\w.\-]*)=(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s}]+)", re.S)


def to_int(text: str | None) -> int | None:
    """A decimal integer of up to 30 digits, else None (never raises)."""
    if text is None:
        return None
    text = text.strip()
    return int(text) if _SMALL_INT_RE.fullmatch(text) else None


def int_list(raw: str | None) -> list[int]:
    """``{1,0}`` -> ``[1, 0]``; None or ``{}`` -> ``[]``; oversized numbers are dropped."""
    if not raw:
        return []
    return [int(x) for x in _INT_RE.findall(clean_text(raw)) if _SMALL_INT_RE.fullmatch(x)]


def int_list_list(raw: str | None) -> list[list[int]]:
    """``{{0,1},{2,3}}`` -> ``[[0, 1], [2, 3]]``."""
    if not raw:
        return []
    return [int_list(group) for group in re.findall(r"\{([^{}]*)\}", clean_text(raw)[1:-1])]


def unquote(raw: str) -> str:
    """The text of a quoted HLO string, escapes decoded; other text unchanged."""
    raw = raw.strip()
    if len(raw) < 2 or raw[0] not in "\"'" or raw[-1] != raw[0]:
        return raw
    body = raw[1:-1]
    if "\\" not in body:
        return body
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(chr(int(body[i + 1 : i + 4], 8)))
                i += 4
                continue
            if nxt == "x" and re.match(r"[0-9a-fA-F]{2}", body[i + 2 : i + 4]):
                out.append(chr(int(body[i + 2 : i + 4], 16)))
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def metadata(raw: str | None) -> dict[str, str | int]:
    """``{op_name="x" source_line=3}`` -> ``{"op_name": "x", "source_line": 3}``."""
    if not raw:
        return {}
    body = raw.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    result: dict[str, str | int] = {}
    for key, value in _METADATA_ITEM_RE.findall(body):
        if value[:1] in "\"'":
            result[key] = unquote(value)
        elif to_int(value) is not None:
            result[key] = to_int(value)  # type: ignore[assignment]
        else:
            result[key] = value
    return result


def backend_config(raw: str | None) -> dict | None:
    """backend_config as a dict when it holds JSON (raw braces or a quoted string), else None."""
    if not raw:
        return None
    text = raw.strip()
    if text[:1] in "\"'":
        text = unquote(text)
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
