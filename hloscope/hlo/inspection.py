"""What ``hloscope inspect`` reads and finds: HLO texts from a file, stdin or an XLA dump folder,
each parsed and described as a ``ModuleReport`` (plain data; report/inspect_view.py renders it).

Raises ``UsageError`` for a path that is missing, binary, empty or not UTF-8, and ``HloParseError``
(labelled with the source) for text that does not parse.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hloscope.errors import UsageError
from hloscope.hlo import HloParseError, HloSummary, call_graph, parse_hlo, summarize_module, while_loops
from hloscope.hlo.metrics import body_closure
from hloscope.hlo.module import HloModule
from hloscope.hlo.repeats import RepeatedBlock

PRE_SUFFIX = ".before_optimizations.txt"
OPT_SUFFIX = "after_optimizations.txt"
TOP_OPCODES = 12
# The HTML call tree stops after this many entries; big optimized modules
# have thousands of fused computations.
MAX_CALL_TREE_NODES = 400
_MODULE_NUMBER_RE = re.compile(r"module_(\d+)")


@dataclass(frozen=True)
class HloSource:
    """One HLO text and where it came from; ``kind`` is "pre", "opt" or "unknown"."""

    label: str
    text: str
    kind: str


@dataclass(frozen=True)
class LoopReport:
    """One while loop as inspect shows it."""

    name: str
    computation: str
    body: str | None
    condition: str | None
    depth: int
    trip_count: int | None
    trip_count_source: str | None
    # The nearest enclosing loop, by name and by position in ``loops``.
    parent: str | None
    parent_index: int | None


@dataclass(frozen=True)
class CallNode:
    """One line of the call tree: ``depth`` levels below the entry."""

    depth: int
    computation: str
    kind: str
    instructions: int


@dataclass(frozen=True)
class ModuleReport:
    """What inspect reports about one module."""

    label: str
    kind: str
    module_name: str
    summary: HloSummary
    top_opcodes: tuple[tuple[str, int], ...]
    loops: tuple[LoopReport, ...]
    call_tree: tuple[CallNode, ...]
    call_tree_truncated: int
    entry_computation: str | None = None
    # The summary's repeated blocks as records, layers first.
    repeated_blocks: tuple[RepeatedBlock, ...] = ()

    def describe_repeats(self) -> list[str]:
        """One sentence per repeated block, layers first."""
        return [block.describe(self.entry_computation) for block in self.repeated_blocks]


def load_hlo_sources(path: str, stdin_text: str | None = None) -> list[HloSource]:
    """HLO texts from a file, ``-`` (stdin) or an ``--xla_dump_to`` folder."""
    if path == "-":
        if stdin_text is None:
            import sys

            stdin_text = sys.stdin.read()
        _check_text("<stdin>", stdin_text)
        return [HloSource("<stdin>", stdin_text, _sniff_kind(stdin_text))]
    target = Path(path)
    if target.is_dir():
        return [_read_source(file, file.name) for file in _dump_files(target)]
    if not target.exists():
        raise UsageError(f"no such file or directory: {path}")
    return [_read_source(target, path)]


def _dump_files(folder: Path) -> list[Path]:
    files = [
        f for f in folder.iterdir() if f.is_file() and (f.name.endswith(PRE_SUFFIX) or f.name.endswith(OPT_SUFFIX))
    ]
    if not files:
        files = [f for f in folder.iterdir() if f.is_file() and f.suffix == ".hlo"]
    if not files:
        raise UsageError(
            f"no HLO text in {folder}: expected *{PRE_SUFFIX} or *{OPT_SUFFIX} (from XLA's --xla_dump_to) or *.hlo"
        )

    def order(file: Path):
        m = _MODULE_NUMBER_RE.match(file.name)
        return (int(m.group(1)) if m else -1, file.name.endswith(OPT_SUFFIX), file.name)

    return sorted(files, key=order)


def _read_source(file: Path, label: str) -> HloSource:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {label}: {exc.strerror or exc}") from None
    if b"\0" in data:
        raise UsageError(f"{label} is binary, not HLO text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{label} is not UTF-8 text (byte {exc.start})") from None
    _check_text(label, text)
    if file.name.endswith(PRE_SUFFIX):
        kind = "pre"
    elif file.name.endswith(OPT_SUFFIX):
        kind = "opt"
    else:
        kind = _sniff_kind(text)
    return HloSource(label, text, kind)


def _check_text(label: str, text: str) -> None:
    if not text.strip():
        raise UsageError(f"{label} is empty")
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r")
    if "\0" in sample or controls > len(sample) // 20:
        raise UsageError(f"{label} is binary, not HLO text")


def _sniff_kind(text: str) -> str:
    # XLA marks scheduled (optimized) modules in the header.
    header = text[: text.find("\n")] if "\n" in text else text
    return "opt" if "is_scheduled=true" in header else "unknown"


def inspect_sources(sources: list[HloSource]) -> list[ModuleReport]:
    """Parse and count each source; a parse error names the source."""
    reports = []
    for source in sources:
        try:
            module = parse_hlo(source.text)
        except HloParseError as exc:
            raise exc.with_label(source.label) from None
        reports.append(_module_report(source, module))
    return reports


def _module_report(source: HloSource, module: HloModule) -> ModuleReport:
    summary = summarize_module(module)
    top = Counter(summary.op_counts).most_common(TOP_OPCODES)
    call_tree, truncated = _call_tree(module)
    return ModuleReport(
        label=source.label,
        kind=source.kind,
        module_name=module.name,
        summary=summary,
        top_opcodes=tuple(top),
        loops=tuple(_loop_reports(module)),
        call_tree=tuple(call_tree),
        call_tree_truncated=truncated,
        entry_computation=module.entry.name if module.entry else None,
        repeated_blocks=tuple(
            sorted(map(RepeatedBlock.from_json, summary.repeated_blocks), key=lambda block: not block.layers)
        ),
    )


def _loop_reports(module: HloModule) -> list[LoopReport]:
    loops = while_loops(module)
    closures = {id(loop): set(body_closure(module, loop.body.name)) if loop.body else set() for loop in loops}
    reports = []
    for loop in loops:
        parents = [
            (other.depth, index)
            for index, other in enumerate(loops)
            if other is not loop and loop.computation.name in closures[id(other)]
        ]
        parent_index = max(parents)[1] if parents else None
        reports.append(
            LoopReport(
                name=loop.name,
                computation=loop.computation.name,
                body=loop.body.name if loop.body else None,
                condition=loop.condition.name if loop.condition else None,
                depth=loop.depth,
                trip_count=loop.trip_count,
                trip_count_source=loop.trip_count_source,
                parent=loops[parent_index].name if parent_index is not None else None,
                parent_index=parent_index,
            )
        )
    return reports


def _call_tree(module: HloModule) -> tuple[list[CallNode], int]:
    """Depth-first calls from the entry; each computation expanded once."""
    if module.entry is None:
        return [], 0
    graph = call_graph(module)
    nodes: list[CallNode] = []
    expanded: set[str] = set()
    stack = [(0, module.entry.name, "entry")]
    skipped = 0
    while stack:
        depth, name, kind = stack.pop()
        if len(nodes) >= MAX_CALL_TREE_NODES:
            skipped += 1
            continue
        nodes.append(CallNode(depth, name, kind, len(module.computations[name].instructions)))
        if name in expanded:
            continue
        expanded.add(name)
        children = [(depth + 1, callee, "/".join(data["kinds"])) for callee, data in graph[name].items()]
        stack.extend(reversed(children))
    return nodes, skipped


def report_to_json(reports: list[ModuleReport]) -> dict:
    """Plain JSON types: one entry per module."""
    return {
        "modules": [
            {
                "label": r.label,
                "kind": r.kind,
                "module_name": r.module_name,
                "summary": r.summary.to_json(),
                "top_opcodes": [[op, count] for op, count in r.top_opcodes],
                "while_loops": [
                    {
                        "name": loop.name,
                        "computation": loop.computation,
                        "body": loop.body,
                        "condition": loop.condition,
                        "depth": loop.depth,
                        "trip_count": loop.trip_count,
                        "trip_count_source": loop.trip_count_source,
                        "parent": loop.parent,
                    }
                    for loop in r.loops
                ],
                "repeated_blocks": [dict(block) for block in r.summary.repeated_blocks],
            }
            for r in reports
        ]
    }
