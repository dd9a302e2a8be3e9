"""Repeated blocks: structurally identical runs of instructions, back to back.

An unrolled stack of L layers prints the layer's instructions L times in one
computation; a scanned stack prints them once, inside a while body.
``find_repeated_blocks(module)`` finds such runs in any HLO text, before or
after optimization, without a sweep.

Two instructions match when their structural keys match (opcode, result
shape, attributes; names, metadata, parameter numbers and constant values
left out; see ``hloscope.hlo.structure``) and so does the wiring of their
operands. For the same instruction of two neighbouring copies, each operand
is one of:

- computed inside the run, as far back in both copies (the next copy reads
  the previous copy's output the same way it read its own input);
- a parameter or constant of the same key in both (each layer's own weights);
- one value read by both, computed before the run (a mask, an encoder output);
- in the first copy, a value from before the run where the second copy reads
  one from the run (the stack's input, then the previous layer's output);
- for each copy its own input, computed before the run the same way (XLA
  hoists each layer's weight slices and transposes to the top).

Only computed instructions form copies; the parameters and constants they
read may sit anywhere in the text. Nested runs (q, k and v projections inside
each layer) are not reported, only the run around them.

Limit: a period is found from instructions that recur exactly one copy later
and nowhere in between. A layer made only of smaller repeats back to back,
with no instruction of its own (four copies of one pair, then four of
another), is reported as those smaller repeats.

Cost: near linear in the number of instructions. Candidate periods are the
distances from each instruction to the next one wired the same way; a period
is checked only where the copies agree, and only if enough instructions
recur at that distance (``benchmarks/repeats_speed.py`` times it against
parsing, worst cases included).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hloscope.hlo.collection import collection_paused
from hloscope.hlo.structure import COMPUTED, ComputationStructure, StructuralKeys, same_cone

if TYPE_CHECKING:
    from hloscope.hlo.module import HloComputation, HloModule

# A run presented as layers covers more than this share of its computation.
LAYERS_MIN_FRACTION = 0.5
# Smaller runs that are not layers are left out: two copies of one
# instruction side by side are everywhere and say nothing.
MIN_LISTED_INSTRUCTIONS = 6
# (start, period, end, hoisted): a run over computed positions [start, end).
_Run = tuple[int, int, int, set[int]]
# Inputs prepared before a run compare equal only up to this many instruction
# pairs; in the cheap first look for a stretch of matching copies, this few.
_MAX_CONE = 64
_ALIKE_CONE = 8
# A period of d instructions needs at least d / _SEEDS_PER_PERIOD of them wired
# alike at distance d to be looked at.
_SEEDS_PER_PERIOD = 16


@dataclass(frozen=True)
class RepeatedBlock:
    """``count`` copies of one block, back to back, in ``computation``.

    ``instructions``: computed instructions in one copy (the parameters and
    constants it reads not counted). ``fraction``: share of the
    computation's instructions, 0 to 1, that belong to the copies: theirs,
    the inputs prepared for each copy before the run, and the parameters and
    constants that only these read. ``first`` and ``last``: names of the
    first and last instruction of the first copy. ``chained``: each copy
    reads the one before (a stack of layers; q, k and v projections side by
    side are not chained). ``layers``: presented as a stack of layers, that
    is chained and more than half of the computation (``LAYERS_MIN_FRACTION``).
    ``computation_instructions``: all instructions of the computation.
    """

    computation: str
    count: int
    instructions: int
    fraction: float
    first: str
    last: str
    chained: bool
    layers: bool
    computation_instructions: int

    @classmethod
    def from_json(cls, record: dict) -> RepeatedBlock:
        """The record ``to_json`` wrote."""
        return cls(**{name: record[name] for name in cls.__dataclass_fields__})

    @property
    def copies(self) -> str:
        """``24 copies of a 37-instruction block``."""
        return f"{self.count} copies of a {self.instructions}-instruction block"

    def describe(self, entry: str | None = None) -> str:
        """One sentence: ``ENTRY: 24 copies of a 37-instruction block (92% of 901 instructions); ...``.

        ``entry`` names the entry computation, which the sentence calls ENTRY.
        """
        where = "ENTRY" if self.computation == entry else self.computation
        text = f"{where}: {self.copies} ({self.fraction:.0%} of {self.computation_instructions} instructions)"
        if self.layers:
            return text + "; as a scan this would hold one copy inside a while loop"
        if self.chained:
            return text + ", chained but too small a share to be called layers"
        return text + ", side by side: not layers"

    def to_json(self) -> dict:
        """Plain JSON types."""
        return {
            "computation": self.computation,
            "count": self.count,
            "instructions": self.instructions,
            "fraction": self.fraction,
            "first": self.first,
            "last": self.last,
            "chained": self.chained,
            "layers": self.layers,
            "computation_instructions": self.computation_instructions,
        }


def find_repeated_blocks(module: HloModule) -> tuple[RepeatedBlock, ...]:
    """Repeated blocks of every computation except fused ones, in text order."""
    with collection_paused():
        return _find(module)


def _find(module: HloModule) -> tuple[RepeatedBlock, ...]:
    keys = StructuralKeys(module)
    fused = {callee for inst, calls in module.calls_of.items() if inst.opcode == "fusion" for _, callee in calls}
    blocks: list[RepeatedBlock] = []
    # Computations alike but for names (hloscope.hlo.copies) hold alike blocks: one without any is looked at once.
    classes, without = keys.classes, set()
    for computation in module.computations.values():
        alike = classes[computation.name]
        if computation.name not in fused and alike not in without:
            found = _blocks_in(computation, keys)
            if not found:
                without.add(alike)
            blocks.extend(found)
    return tuple(blocks)


def _blocks_in(computation: HloComputation, keys: StructuralKeys) -> list[RepeatedBlock]:
    table = keys.structure(computation)
    seq, seqpos, operands, key = table.seq, table.seqpos, table.operands, table.key
    m = len(seq)
    if m < 2:
        return []
    coarse = [key[i] for i in seq]
    # wiring[k]: the key and, per operand, how far back it was computed or,
    # for a parameter or constant, its key. Copies agree on it except where
    # they read shared values or their own inputs prepared before the run.
    leaf = table.leaf
    wiring: list[tuple] = [()] * m
    for k, i in enumerate(seq):
        ops = operands[i]
        # Spelled out for one and two operands, the common cases: a nested
        # comprehension costs a function call per instruction.
        if len(ops) == 1:
            p = seqpos[ops[0]]
            wiring[k] = (coarse[k], k - p if p >= 0 else -1 - leaf[ops[0]])
        elif len(ops) == 2:
            p, q = seqpos[ops[0]], seqpos[ops[1]]
            wiring[k] = (
                coarse[k],
                k - p if p >= 0 else -1 - leaf[ops[0]],
                k - q if q >= 0 else -1 - leaf[ops[1]],
            )
        else:
            wiring[k] = (coarse[k], *[k - seqpos[o] if seqpos[o] >= 0 else -1 - leaf[o] for o in ops])

    # Candidate periods: the distance from each computed instruction to the
    # next one wired the same way.
    seeds: dict[int, list[int]] = {}
    last: dict[tuple, int] = {}
    for k in range(m - 1, -1, -1):
        w = wiring[k]
        following = last.get(w)
        last[w] = k
        if following is not None:
            distance = following - k
            bucket = seeds.get(distance)
            if bucket is None:
                seeds[distance] = [k]
            else:
                bucket.append(k)

    # Periods with the most seeds first: a run found there hides the seeds of
    # shorter periods in its copies (runs nested in them). within[k] is the
    # period of the last run found over position k.
    candidates: list[_Run] = []
    within = [0] * m
    for d, bucket in sorted(seeds.items(), key=lambda item: (-len(item[1]), item[0])):
        if len(bucket) * _SEEDS_PER_PERIOD < d:
            # Too few instructions recur at this distance to make copies of a
            # block this long: chance agreements of a module without layers.
            continue
        covered = -1
        for k in reversed(bucket):
            if k < covered or d < within[k]:
                continue
            a = k
            while a > 0 and (wiring[a - 1] == wiring[a - 1 + d] or _alike(a - 1, d, table, coarse)):
                a -= 1
            b = k + 1
            while b + d < m and (wiring[b] == wiring[b + d] or _alike(b, d, table, coarse)):
                b += 1
            covered = b
            # The first copy may read the stack's input where later copies read
            # the copy before: look one period further back. Short stretches
            # cannot hold two copies and would make the look back cost O(d).
            if 4 * (b - a) < d:
                continue
            runs, covered = _exact_runs(d, max(0, a - d), b, table, coarse, wiring)
            for run in runs:
                candidates.append(run)
                within[run[0] : run[2]] = [d] * (run[2] - run[0])
    if not candidates:
        return []

    insts = computation.instructions
    n = len(insts)
    chosen = _outermost([_at_layer_boundary(run, table) for run in candidates])
    owned = _owned_outside(chosen, table)
    # Runs of inputs prepared for the copies of another run are part of those copies.
    prepared = {seqpos[i] for run in chosen for i in run[3]}
    blocks = []
    for (s, d, count, _), outside in zip(chosen, owned):
        if prepared and all(k in prepared for k in range(s, s + count * d)):
            continue
        fraction = (count * d + outside) / n
        chained = any(s <= seqpos[o] < s + d for k in range(s + d, s + 2 * d) for o in operands[seq[k]])
        layers = chained and fraction > LAYERS_MIN_FRACTION
        if not layers and count * d < MIN_LISTED_INSTRUCTIONS:
            continue
        blocks.append(
            RepeatedBlock(
                computation=computation.name,
                count=count,
                instructions=d,
                fraction=fraction,
                first=insts[seq[s]].name,
                last=insts[seq[s + d - 1]].name,
                chained=chained,
                layers=layers,
                computation_instructions=n,
            )
        )
    return blocks


def _alike(j: int, d: int, table: ComputationStructure, coarse: list[int]) -> bool:
    """Whether computed positions ``j`` and ``j + d`` could be the same instruction of two copies.

    Looser than the check of ``_exact_runs`` (which also knows where the run
    starts) except for the first copy's reads from before the run, which it
    refuses; cheap enough to find the stretch worth checking exactly.
    """
    if coarse[j] != coarse[j + d]:
        return False
    seq, seqpos, leaf = table.seq, table.seqpos, table.leaf
    operands = table.operands
    for p, q in zip(operands[seq[j]], operands[seq[j + d]]):
        pk, qk = seqpos[p], seqpos[q]
        if qk - pk == d or p == q:
            continue
        if pk < 0 and qk < 0:
            if leaf[p] == leaf[q]:
                continue
            return False
        if pk < j and qk < j and same_cone(p, q, table, _ALIKE_CONE):
            continue
        return False
    return True


def _exact_runs(
    d: int, a: int, b: int, table: ComputationStructure, coarse: list[int], wiring: list[tuple]
) -> tuple[list[_Run], int]:
    """Runs of period ``d`` from ``a`` on, checked up to ``b`` and then as far as they go.

    Returns (start, period, end, hoisted) of each run of two or more copies,
    ``hoisted`` the instructions before the run that prepare each copy's own
    input, and where the check stopped. Which operands may differ depends on
    where the run starts, so a mismatch starts a new run just after it.
    """
    seq, seqpos, operands, leaf = table.seq, table.seqpos, table.operands, table.leaf
    insts = table.instructions
    runs: list[_Run] = []
    hoisted: set[int] = set()
    s = j = a
    stop = len(seq) - d
    while j < stop:
        if wiring[j] == wiring[j + d]:
            j += 1
            continue
        if coarse[j] == coarse[j + d]:
            for p, q in zip(operands[seq[j]], operands[seq[j + d]]):
                pk, qk = seqpos[p], seqpos[q]
                if qk - pk == d:
                    continue  # computed inside the run, as far back in both copies
                if p == q:
                    # One value read by both copies: data, or computed before the run.
                    if pk < s:
                        continue
                    break
                if pk < 0 and qk < 0:
                    # Parameters and constants: data, matched by shape and structure.
                    if leaf[p] == leaf[q]:
                        continue
                    break
                if j < s + d and pk < s <= qk and insts[p].shape == insts[q].shape:
                    # The first copy reads from before the run what the next reads from the run.
                    continue
                if pk < s and qk < s and same_cone(p, q, table, _MAX_CONE, hoisted):
                    # Each copy reads its own input, prepared the same way before the run.
                    continue
                break
            else:
                j += 1
                continue
        if j - s >= d:
            runs.append((s, d, j + d, hoisted))
        if j >= b:
            return runs, j
        s = j = j + 1
        hoisted = set()
    if stop - s >= d:
        runs.append((s, d, stop + d, hoisted))
    return runs, stop


def _at_layer_boundary(run: _Run, table: ComputationStructure) -> _Run:
    """The run starting where the fewest values cross from one copy into the next.

    Copies that repeat back to back can be cut anywhere within the slack
    left after the last whole copy; a layer boundary is where only the
    layer's output is live (a cut inside a layer also crosses the residual).
    The earliest of equal cuts wins.
    """
    s, d, e, hoisted = run
    slack = (e - s) % d
    if slack == 0:
        return run
    seq, seqpos, operands = table.seq, table.seqpos, table.operands
    last_use: dict[int, int] = {}
    for k in range(s, s + slack + d):
        for o in operands[seq[k]]:
            if 0 <= seqpos[o] < s + slack:
                last_use[seqpos[o]] = k
    change = [0] * (slack + 2)
    for produced, used in last_use.items():
        first_cut, final_cut = max(produced + 1, s), min(used, s + slack)
        if first_cut <= final_cut:
            change[first_cut - s] += 1
            change[final_cut - s + 1] -= 1
    best = best_cut = None
    total = 0
    for cut in range(slack + 1):
        total += change[cut]
        if best is None or total < best:
            best, best_cut = total, cut
    return (s + best_cut, d, e, hoisted)


def _outermost(candidates: list[_Run]) -> list[tuple[int, int, int, set[int]]]:
    """(start, period, copies, hoisted) of the largest runs that do not overlap, in text order.

    Larger first, and at equal size the shorter period (more copies): a run
    nested inside a copy of a larger one is dropped with any other overlap.
    """
    ranked = sorted(
        ((s, d, (e - s) // d, hoisted) for s, d, e, hoisted in candidates),
        key=lambda run: (-run[1] * run[2], run[1], run[0]),
    )
    starts: list[int] = []
    ends: list[int] = []
    chosen = []
    for s, d, count, hoisted in ranked:
        end = s + d * count
        at = bisect_left(starts, s)
        if at > 0 and ends[at - 1] > s:
            continue
        if at < len(starts) and starts[at] < end:
            continue
        starts.insert(at, s)
        ends.insert(at, end)
        chosen.append((s, d, count, hoisted))
    return sorted(chosen, key=lambda run: run[0])


def _owned_outside(chosen: list[tuple[int, int, int, set[int]]], table: ComputationStructure) -> list[int]:
    """For each run, the instructions outside its computed span that belong to its copies.

    Those are the inputs prepared before the run for each copy, and the
    parameters and constants that only the copies (or those inputs) read,
    through other constants: a constant read only by a broadcast that the run
    reads belongs to the run. ``chosen`` is in text order and does not overlap.
    """
    seq, seqpos, operands, kind = table.seq, table.seqpos, table.operands, table.kind
    n = len(kind)
    # Inputs prepared for a copy count as read at the run's start.
    read_at = {i: s for s, _, _, hoisted in chosen for i in hoisted}
    lo = [len(seq)] * n
    hi = [-1] * n
    for i in range(n - 1, -1, -1):
        if kind[i] == COMPUTED:
            first = final = read_at.get(i, seqpos[i]) if read_at else seqpos[i]
        else:
            first, final = lo[i], hi[i]
            if final < 0:
                continue
        for o in operands[i]:
            if kind[o] != COMPUTED:
                if first < lo[o]:
                    lo[o] = first
                if final > hi[o]:
                    hi[o] = final
    starts = [s for s, _, _, _ in chosen]
    counts = [len(hoisted) for _, _, _, hoisted in chosen]
    for i in range(n):
        if kind[i] != COMPUTED and hi[i] >= 0:
            at = bisect_right(starts, lo[i]) - 1
            if at >= 0:
                s, d, count, _ = chosen[at]
                if hi[i] < s + d * count:
                    counts[at] += 1
    return counts
