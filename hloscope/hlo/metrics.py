"""Op counts over a module: as listed, weighted by loop trip counts, inside loop bodies.

Weighting: a computation called from a while loop's body runs ``trip_count``
times per run of the while, its condition ``trip_count + 1`` times. Any other
call (fusion, call, reducer, conditional branch) weighs as much as its caller:
a reducer counts once per reduce instruction, and every branch of a
conditional counts, since which one runs is not known. A loop whose trip count
is unknown weighs 1. Weights multiply through nested loops and add up over
several callers. Only computations reachable from the entry are weighted.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx

from hloscope.hlo.graphs import call_graph, reachable_computations
from hloscope.hlo.loops import while_loops
from hloscope.hlo.module import HloModule


def op_counts(module: HloModule, weighted: bool = False) -> dict[str, int]:
    """Instructions per opcode, sorted by opcode; see the module docstring for weights."""
    counts: Counter[str] = Counter()
    if not weighted:
        for computation in module.computations.values():
            counts.update(inst.opcode for inst in computation.instructions)
        return dict(sorted(counts.items()))
    for name, weight in computation_weights(module).items():
        if weight == 0:
            continue
        local = Counter(inst.opcode for inst in module.computations[name].instructions)
        for opcode, count in local.items():
            counts[opcode] += count * weight
    return dict(sorted(counts.items()))


def computation_weights(module: HloModule, follow=None) -> dict[str, int]:
    """How many times each computation reachable from the entry runs per module run.

    ``follow(instruction, kind)``, when given, decides which call edges count.
    """
    trip_counts = {loop.instruction: loop.trip_count for loop in while_loops(module)}
    order = reachable_computations(module)
    weights = dict.fromkeys(order, 0)
    if module.entry is not None:
        weights[module.entry.name] = 1
    for name in order:
        weight = weights[name]
        if weight == 0:
            continue
        for inst in module.computations[name].instructions:
            for kind, callee in inst.calls:
                if follow is not None and not follow(inst, kind):
                    continue
                factor = 1
                if inst.opcode == "while" and kind in ("body", "condition"):
                    trips = trip_counts.get(inst)
                    if trips is not None:
                        factor = trips + 1 if kind == "condition" else trips
                weights[callee] = weights.get(callee, 0) + weight * factor
    return weights


def body_closure(module: HloModule, root_name: str) -> list[str]:
    """``root_name`` and every computation it calls, directly or not, each once."""
    return [root_name, *sorted(nx.descendants(call_graph(module), root_name))]


def while_body_op_counts(module: HloModule) -> dict[str, int]:
    """Op counts of the outermost while loops' bodies and what they call, not weighted.

    Each outermost loop counts its body closure once; nested loops inside it
    count once too.
    """
    counts: Counter[str] = Counter()
    for loop in while_loops(module):
        if loop.depth != 1 or loop.body is None:
            continue
        for name in body_closure(module, loop.body.name):
            counts.update(inst.opcode for inst in module.computations[name].instructions)
    return dict(sorted(counts.items()))
