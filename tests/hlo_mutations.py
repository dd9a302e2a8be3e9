"""One mutation corpus for the parser's property test and its fuzz benchmark.

``CORPUS`` holds valid modules (the hand-written cases); each mutation is a
pure function of the text and explicit arguments, so hypothesis (in
``tests/test_hlo_property.py``) and a seeded ``random.Random`` (in
``benchmarks/fuzz_parser.py``) draw the arguments their own way and apply the
very same edits.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

CASES = Path(__file__).parent / "hlo_cases"
CORPUS = [path.read_text() for path in sorted(CASES.glob("*.hlo"))]
TOKEN_RE = re.compile(r"%?[\w.\-]+|[^\w\s]")
SPECIAL = list("{}()[],=%\"'/*:<>-.?\n\t\\ ") + [
    "\x00", "\u00e9", "\ufffd", "\u00b2", "\u0663", "\u2028",
    "ROOT ", "ENTRY ", "->", "/*", "//", "9" * 5000, "b(", "mesh[", "literal=",
]  # fmt: skip
CLOSER = {"(": ")", "{": "}", "[": "]"}
MAX_NESTING = 3000


def truncate(text: str, i: int) -> str:
    return text[:i]


def flip(text: str, i: int, ch: str) -> str:
    return text[:i] + ch + text[i + 1 :]


def delete(text: str, i: int, length: int) -> str:
    return text[:i] + text[i + length :]


def insert(text: str, i: int, piece: str) -> str:
    return text[:i] + piece + text[i:]


def swap(text: str, a: int, b: int) -> str:
    """Exchange two tokens, chosen by index modulo the token count."""
    tokens = [m.span() for m in TOKEN_RE.finditer(text)]
    if not tokens:
        return text
    (s1, e1), (s2, e2) = sorted([tokens[a % len(tokens)], tokens[b % len(tokens)]])
    if e1 > s2:
        return text
    return text[:s1] + text[s2:e2] + text[e1:s2] + text[s1:e1] + text[e2:]


def duplicate(text: str, i: int, length: int, j: int) -> str:
    return text[:j] + text[i : i + length] + text[j:]


def nest(text: str, i: int, opener: str, depth: int, closed: bool) -> str:
    return text[:i] + opener * depth + (CLOSER[opener] * depth if closed else "") + text[i:]


MUTATIONS = {
    "truncate": truncate,
    "flip": flip,
    "delete": delete,
    "insert": insert,
    "swap": swap,
    "duplicate": duplicate,
    "nest": nest,
}


def random_mutation(text: str, rng: random.Random) -> tuple[str, str]:
    """One mutation of ``text`` with arguments drawn from ``rng``; returns (text, mutation name)."""
    n = max(len(text), 1)
    kind = rng.choice(list(MUTATIONS))
    position = rng.randrange(n)
    args = {
        "truncate": (position,),
        "flip": (position, rng.choice(SPECIAL) if rng.random() < 0.7 else chr(rng.randrange(0x20, 0x3000))),
        "delete": (position, rng.randint(1, 200)),
        "insert": (position, rng.choice(SPECIAL)),
        "swap": (rng.randrange(10_000), rng.randrange(10_000)),
        "duplicate": (position, rng.randint(1, 300), rng.randrange(n)),
        "nest": (position, rng.choice("({["), rng.randint(1, MAX_NESTING), rng.random() < 0.5),
    }[kind]
    return MUTATIONS[kind](text, *args), kind
