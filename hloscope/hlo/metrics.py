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

from hloscope.hlo.graphs import call_closure, calls_from, reachable_computations
from hloscope.hlo.loops import while_loops
from hloscope.hlo.module import HloInstruction, HloModule

_OPCODE_OF = HloInstruction.opcode.fget


def computation_op_counts(module: HloModule) -> dict[str, Counter[str]]:
    """Instructions per opcode of each computation, as the text lists them.

    A computation whose body copies an earlier one's (``copy_of``, see
    ``hloscope.hlo.copies``) shares that one's counts: treat them as read-only.
    """
    counts: dict[str, Counter[str]] = {}
    for name, computation in module.computations.items():
        original = computation.copy_of
        found = counts.get(original) if original is not None else None
        counts[name] = found if found is not None else Counter(map(_OPCODE_OF, computation.instructions))
    return counts


def _add_up(counts: Counter[str], weighted_counts) -> None:
    """Add each Counter x its weight into ``counts``; one Counter shared by many computations is added once."""
    weights: dict[int, list] = {}
    for local, weight in weighted_counts:
        entry = weights.get(id(local))
        if entry is None:
            weights[id(local)] = [local, weight]
        else:
            entry[1] += weight
    for local, weight in weights.values():
        for opcode, count in local.items():
            counts[opcode] += count * weight


def op_counts(module: HloModule, weighted: bool = False, per_computation=None) -> dict[str, int]:
    """Instructions per opcode, sorted by opcode; see the module docstring for weights.

    ``per_computation``: ``computation_op_counts(module)`` when the caller has it already.
    """
    if per_computation is None:
        per_computation = computation_op_counts(module)
    counts: Counter[str] = Counter()
    if not weighted:
        _add_up(counts, ((local, 1) for local in per_computation.values()))
    else:
        _add_up(counts, ((per_computation[name], weight) for name, weight in computation_weights(module).items()))
    return dict(sorted((opcode, count) for opcode, count in counts.items() if count))


def computation_weights(module: HloModule, follow=None) -> dict[str, int]:
    """How many times each computation reachable from the entry runs per module run.

    ``follow(instruction, kind)``, when given, decides which call edges count.
    """
    trip_counts = {loop.instruction: loop.trip_count for loop in while_loops(module)}
    order = reachable_computations(module)
    calls = calls_from(module)
    weights = dict.fromkeys(order, 0)
    if module.entry is not None:
        weights[module.entry.name] = 1
    for name in order:
        weight = weights[name]
        if weight == 0:
            continue
        for inst, kind, callee in calls[name]:
            if follow is not None and not follow(inst, kind):
                continue
            factor = 1
            if kind == "body" or kind == "condition":
                trips = trip_counts.get(inst) if inst.opcode == "while" else None
                if trips is not None:
                    factor = trips + 1 if kind == "condition" else trips
            weights[callee] = weights.get(callee, 0) + weight * factor
    return weights


def body_closure(module: HloModule, root_name: str) -> list[str]:
    """``root_name`` and every computation it calls, directly or not, each once."""
    return [root_name, *sorted(call_closure(module, root_name) - {root_name})]


def while_body_op_counts(module: HloModule, per_computation=None) -> dict[str, int]:
    """Op counts of the outermost while loops' bodies and what they call, not weighted.

    Each outermost loop counts its body closure once; nested loops inside it
    count once too. ``per_computation`` as for ``op_counts``.
    """
    if per_computation is None:
        per_computation = computation_op_counts(module)
    counts: Counter[str] = Counter()
    for loop in while_loops(module):
        if loop.depth != 1 or loop.body is None:
            continue
        for name in body_closure(module, loop.body.name):
            counts.update(per_computation[name])
    return dict(sorted(counts.items()))
