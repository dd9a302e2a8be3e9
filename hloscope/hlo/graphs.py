"""networkx graphs over a parsed module: data flow inside a computation, calls between them."""

from __future__ import annotations

from weakref import WeakKeyDictionary

import networkx as nx

from hloscope.hlo.module import HloComputation, HloInstruction, HloModule

# Built on first use, once per module: modules do not change once parsed.
_CALL_GRAPHS: WeakKeyDictionary[HloModule, nx.DiGraph] = WeakKeyDictionary()
_CALLS: WeakKeyDictionary[HloModule, dict[str, list[tuple[HloInstruction, str, str]]]] = WeakKeyDictionary()


def instruction_graph(computation: HloComputation) -> nx.DiGraph:
    """One node per instruction (opcode, shape attributes), an edge operand -> user.

    An operand used twice by one user gives one edge whose ``count`` is 2.
    """
    graph = nx.DiGraph(name=computation.name)
    for inst in computation.instructions:
        graph.add_node(inst.name, opcode=inst.opcode, shape=inst.shape, root=inst is computation.root)
    for inst in computation.instructions:
        for index, operand in enumerate(inst.operands):
            if graph.has_edge(operand, inst.name):
                graph[operand][inst.name]["count"] += 1
            else:
                graph.add_edge(operand, inst.name, operand_index=index, count=1)
    return graph


def call_graph(module: HloModule) -> nx.DiGraph:
    """Computations as nodes, an edge caller -> callee per call (built once per module).

    Edge data: ``kind`` (to_apply, calls, condition, body, branch, ...) of the
    first call, ``kinds`` all distinct kinds, ``instructions`` the calling
    instruction names, ``count`` how many calls. Treat it as read-only.
    """
    graph = _CALL_GRAPHS.get(module)
    if graph is None:
        graph = _CALL_GRAPHS[module] = _build_call_graph(module)
    return graph


def _build_call_graph(module: HloModule) -> nx.DiGraph:
    graph = nx.DiGraph(name=module.name)
    for name, computation in module.computations.items():
        graph.add_node(name, entry=computation is module.entry, instructions=len(computation.instructions))
    for name, computation in module.computations.items():
        for inst in computation.instructions:
            for kind, callee in inst.calls:
                if graph.has_edge(name, callee):
                    data = graph[name][callee]
                    data["count"] += 1
                    data["instructions"].append(inst.name)
                    if kind not in data["kinds"]:
                        data["kinds"].append(kind)
                else:
                    graph.add_edge(name, callee, kind=kind, kinds=[kind], instructions=[inst.name], count=1)
    return graph


def calls_from(module: HloModule) -> dict[str, list[tuple[HloInstruction, str, str]]]:
    """Each computation's calls in text order: (instruction, call kind, callee name); built once per module.

    Treat it as read-only.
    """
    calls = _CALLS.get(module)
    if calls is None:
        calls = {name: [] for name in module.computations}
        for inst, pairs in module.calls_of.items():
            entries = calls[inst.computation.name]
            for kind, callee in pairs:
                entries.append((inst, kind, callee))
        _CALLS[module] = calls
    return calls


def call_order(module: HloModule) -> list[str]:
    """Every computation once, callers before callees.

    The parser, as XLA's, accepts a call only to a computation defined
    earlier in the text (an inline one comes before its caller), so the text
    order reversed is such an order: no graph sort needed.
    """
    return list(reversed(module.computations))


def reachable_computations(module: HloModule) -> list[str]:
    """Computations reachable from the entry through calls, entry first, callers before callees."""
    if module.entry is None:
        return []
    calls = calls_from(module)
    reached = {module.entry.name}
    order = []
    for name in call_order(module):
        if name in reached:
            order.append(name)
            reached.update(callee for _, _, callee in calls[name])
    return order


def call_closure(module: HloModule, root_name: str) -> set[str]:
    """``root_name`` and every computation it calls, directly or not."""
    calls = calls_from(module)
    closure = {root_name}
    pending = [root_name]
    while pending:
        for _, _, callee in calls.get(pending.pop(), ()):
            if callee not in closure:
                closure.add(callee)
                pending.append(callee)
    return closure
