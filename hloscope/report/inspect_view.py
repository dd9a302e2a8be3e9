"""``hloscope inspect``'s terminal text and one-page HTML, from the ``ModuleReport`` records of
hloscope/hlo/inspection.py. Renders only: nothing here parses or counts.
"""

from __future__ import annotations

from hloscope.hlo.inspection import LoopReport, ModuleReport

# The terminal lists this many repeated blocks that are not layers.
MAX_LISTED_SMALL_REPEATS = 5

STAGE_TEXT = {
    "pre": "before optimization",
    "opt": "after optimization",
    "unknown": "optimization stage not marked",
}


def format_text(reports: list[ModuleReport]) -> str:
    """A terminal description of each module."""
    out: list[str] = []
    for r in reports:
        s = r.summary
        out.append(f"{r.label} ({STAGE_TEXT[r.kind]}): module {r.module_name}")
        out.append(
            f"  computations {s.computations}, instructions {s.instructions}, fusions {s.fusions}, "
            f"bytes {s.bytes}"
        )
        out.append("  top opcodes: " + ", ".join(f"{op} {count}" for op, count in r.top_opcodes))
        out.append(f"  while loops: {s.while_loops} (max depth {s.max_loop_depth})")
        for loop in r.loops:
            trips = "unknown" if loop.trip_count is None else f"{loop.trip_count} ({loop.trip_count_source})"
            out.append(
                f"  {'  ' * loop.depth}{loop.name} in {loop.computation}: depth {loop.depth}, "
                f"trip count {trips}, body {loop.body}"
            )
        if s.unknown_trip_counts:
            out.append(f"  {s.unknown_trip_counts} loop(s) of unknown trip count weigh 1 in weighted counts")
        out.extend(_repeats_lines(r))
        out.extend(_flops_lines(s.flops))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _repeats_lines(report: ModuleReport) -> list[str]:
    layers = sum(1 for block in report.repeated_blocks if block.layers)
    if not report.repeated_blocks:
        return ["  repeated blocks: none"]
    lines = [f"  repeated blocks: {len(report.repeated_blocks)} ({layers} presented as layers)"]
    sentences = report.describe_repeats()
    shown = layers + MAX_LISTED_SMALL_REPEATS
    lines += [f"    {sentence}" for sentence in sentences[:shown]]
    if len(sentences) > shown:
        lines.append(f"    and {len(sentences) - shown} more that are not layers (see --json)")
    return lines


def uncounted_text(flops: dict) -> str:
    """``custom-call x3, scan x1``: the instructions a FLOP total leaves out, or ""."""
    uncounted = flops.get("uncounted_opcodes") or {}
    return ", ".join(f"{opcode} x{count}" for opcode, count in uncounted.items())


def _flops_lines(flops: dict) -> list[str]:
    parts = ", ".join(
        f"{key.removesuffix('_flops')} {flops.get(key, 0)}"
        for key in ("dot_flops", "conv_flops", "fft_flops", "elementwise_flops", "reduce_flops", "other_flops")
    )
    lines = [f"  flops: total {flops.get('total_flops', 0)} ({parts}); transcendentals {flops.get('transcendentals', 0)}"]
    if uncounted_text(flops):
        lines.append(f"  flops not counted (XLA's cost analysis has no count for them): {uncounted_text(flops)}")
    return lines


def render_inspect_html(reports: list[ModuleReport]) -> str:
    """A self-contained HTML page, one section per module."""
    from hloscope.report.templating import get_environment

    sections = []
    for index, r in enumerate(reports):
        counts = sorted(r.summary.op_counts.items(), key=lambda item: (-item[1], item[0]))
        weighted = r.summary.weighted_op_counts
        # Each bar is scaled by the column it stands beside: the counts as written, or weighted by trip counts.
        largest = max((count for _, count in counts), default=0) or 1
        largest_weighted = max((weighted.get(op, 0) for op, _ in counts), default=0) or 1
        sections.append(
            {
                "anchor": f"module-{index}",
                "report": r,
                "histogram": [(op, count, 100.0 * count / largest, weighted.get(op, 0),
                               100.0 * weighted.get(op, 0) / largest_weighted) for op, count in counts],
                "loop_tree": _loop_tree(r.loops),
                "repeats": list(zip(r.repeated_blocks, r.describe_repeats())),
                "layers_in": {block.computation: block.copies for block in r.repeated_blocks if block.layers},
            }
        )
    return get_environment().get_template("inspect.html.j2").render(sections=sections, stage_text=STAGE_TEXT)


def _loop_tree(loops: tuple[LoopReport, ...]) -> list[dict]:
    """Loops nested under their enclosing loop, for nested lists."""
    nodes = [{"loop": loop, "children": []} for loop in loops]
    roots = []
    for loop, node in zip(loops, nodes):
        if loop.parent_index is not None:
            nodes[loop.parent_index]["children"].append(node)
        else:
            roots.append(node)
    return roots
