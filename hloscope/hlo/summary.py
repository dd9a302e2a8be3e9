"""HloSummary: the counts hloscope records for one HLO module."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from hloscope.hlo.attributes import unquote
from hloscope.hlo.collection import collection_paused
from hloscope.hlo.flops import module_flops
from hloscope.hlo.loops import while_loops
from hloscope.hlo.metrics import computation_op_counts, op_counts, while_body_op_counts
from hloscope.hlo.module import HloModule
from hloscope.hlo.parser import parse_hlo
from hloscope.hlo.repeats import find_repeated_blocks


@dataclass(frozen=True)
class HloSummary:
    """Counts that describe one HLO module.

    ``op_counts`` counts every instruction of every computation as the text
    lists them (fused computations included). ``weighted_op_counts`` and
    ``flops`` count what one run of the entry executes: ops inside while
    bodies multiplied by trip counts (see ``hloscope.hlo.metrics``); loops of
    unknown trip count weigh 1 and are counted in ``unknown_trip_counts``.
    ``while_body_op_counts`` counts the bodies of the outermost while loops
    and what they call, not weighted. ``flops`` holds ``module_flops``'s
    figures (see ``hloscope.hlo.flops``): ints per category, ``total_flops``,
    ``transcendentals`` and ``uncounted_opcodes`` ({opcode: instructions whose
    FLOPs are not counted}); a total never omits work without listing it there.
    """

    instructions: int
    computations: int
    while_loops: int
    bytes: int
    op_counts: dict[str, int] = field(default_factory=dict)
    fusions: int = 0
    max_loop_depth: int = 0
    trip_counts: list[int | None] = field(default_factory=list)
    weighted_op_counts: dict[str, int] = field(default_factory=dict)
    flops: dict = field(default_factory=dict)
    while_body_op_counts: dict[str, int] = field(default_factory=dict)
    unknown_trip_counts: int = 0
    weighted_instructions: int = 0
    entry_instructions: int = 0
    fused_computations: int = 0
    custom_call_targets: dict[str, int] = field(default_factory=dict)
    module_name: str = ""
    # Instructions whose shapes could not be read: they count 0 FLOPs (and are in flops.uncounted_opcodes).
    unreadable_flop_instructions: int = 0
    # Parameters of the entry computation: the arguments XLA receives (an
    # unrolled stack of separate modules passes every layer's arrays).
    entry_parameters: int = 0
    # One record per while loop in text order: instruction, computation,
    # body, condition, depth, trip_count, trip_count_source.
    loops: list[dict] = field(default_factory=list)
    # Runs of structurally identical blocks (hloscope.hlo.repeats), one
    # RepeatedBlock.to_json() record each: an unrolled stack's layers.
    repeated_blocks: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        """Plain JSON types (dicts, lists, ints, strings, None)."""
        return {
            "module_name": self.module_name,
            "instructions": self.instructions,
            "computations": self.computations,
            "while_loops": self.while_loops,
            "bytes": self.bytes,
            "op_counts": dict(self.op_counts),
            "fusions": self.fusions,
            "fused_computations": self.fused_computations,
            "max_loop_depth": self.max_loop_depth,
            "trip_counts": list(self.trip_counts),
            "unknown_trip_counts": self.unknown_trip_counts,
            "weighted_op_counts": dict(self.weighted_op_counts),
            "weighted_instructions": self.weighted_instructions,
            "entry_instructions": self.entry_instructions,
            "entry_parameters": self.entry_parameters,
            "flops": {key: dict(value) if isinstance(value, dict) else value for key, value in self.flops.items()},
            "while_body_op_counts": dict(self.while_body_op_counts),
            "custom_call_targets": dict(self.custom_call_targets),
            "unreadable_flop_instructions": self.unreadable_flop_instructions,
            "loops": [dict(loop) for loop in self.loops],
            "repeated_blocks": [dict(block) for block in self.repeated_blocks],
        }


def summarize_hlo(text: str) -> HloSummary:
    """Parse HLO text and summarize it; raise HloParseError on bad text."""
    # One pause over both: between them, the first allocation would start a
    # collection over everything parsing just made (and, in the worker, JAX's heap).
    with collection_paused():
        return summarize_module(parse_hlo(text))


def summarize_module(module: HloModule) -> HloSummary:
    """Summarize a parsed module.

    Each figure is computed once: one walk over the instructions gives the
    per-computation op counts that the plain, weighted and loop-body counts
    all add up; loops, weights and FLOPs share one call order (see
    ``hloscope.hlo.graphs``).
    """
    loops = while_loops(module)
    per_computation = computation_op_counts(module)
    counts = op_counts(module, per_computation=per_computation)
    weighted = op_counts(module, weighted=True, per_computation=per_computation)
    flops = module_flops(module)
    fused: set[str] = set()
    targets: Counter[str] = Counter()
    calls_of = module.calls_of
    for name, local in per_computation.items():
        if "fusion" in local or "custom-call" in local:
            for inst in module.computations[name].instructions:
                if inst.opcode == "fusion":
                    fused.update(callee for _, callee in calls_of.get(inst, ()))
                elif inst.opcode == "custom-call":
                    targets[unquote(inst.attributes.get("custom_call_target", ""))] += 1
    entry = module.entry
    return HloSummary(
        instructions=sum(counts.values()),
        computations=len(module.computations),
        while_loops=len(loops),
        bytes=len(module.text.encode("utf-8")),
        op_counts=counts,
        fusions=counts.get("fusion", 0),
        max_loop_depth=max((loop.depth for loop in loops), default=0),
        trip_counts=[loop.trip_count for loop in loops],
        weighted_op_counts=weighted,
        flops={key: value for key, value in flops.items() if key != "unreadable"},
        while_body_op_counts=while_body_op_counts(module, per_computation),
        unknown_trip_counts=sum(1 for loop in loops if loop.trip_count is None),
        weighted_instructions=sum(weighted.values()),
        entry_instructions=len(entry.instructions) if entry else 0,
        entry_parameters=per_computation[entry.name].get("parameter", 0) if entry else 0,
        fused_computations=len(fused),
        custom_call_targets=dict(sorted(targets.items())),
        module_name=module.name,
        unreadable_flop_instructions=len(flops["unreadable"]),  # type: ignore[arg-type]
        loops=[
            {
                "instruction": loop.name,
                "computation": loop.computation.name,
                "body": loop.body.name if loop.body else None,
                "condition": loop.condition.name if loop.condition else None,
                "depth": loop.depth,
                "trip_count": loop.trip_count,
                "trip_count_source": loop.trip_count_source,
            }
            for loop in loops
        ],
        repeated_blocks=[block.to_json() for block in find_repeated_blocks(module)],
    )
