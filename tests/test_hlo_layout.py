"""hloscope.hlo is records plus functions over them, with no import cycle inside.

Every import counts, function-level ones included: they hide cycles from
Python but not from a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import hloscope.hlo

HLO_DIR = Path(hloscope.hlo.__file__).parent
PACKAGE = "hloscope.hlo"


def _imports(path: Path) -> set[str]:
    """hloscope.hlo submodules a file imports anywhere in its body."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                found.update(f"{PACKAGE}.{alias.name}" for alias in node.names)
            elif node.module.startswith(PACKAGE + "."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith(PACKAGE + "."))
    return found


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in HLO_DIR.glob("*.py"):
        if path.name == "__init__.py":
            continue
        name = f"{PACKAGE}.{path.stem}"
        graph.add_node(name)
        for target in _imports(path):
            if (HLO_DIR / (target.rsplit(".", 1)[1] + ".py")).exists():
                graph.add_edge(name, target)
    return graph


def test_no_import_cycle_inside_hlo():
    graph = _graph()
    assert len(graph) >= 10
    assert nx.is_directed_acyclic_graph(graph), list(nx.simple_cycles(graph))


def test_records_import_no_function_module():
    # The records may use the lexer (to read attribute text on demand) and nothing that computes over them.
    assert set(_graph().successors(f"{PACKAGE}.module")) <= {f"{PACKAGE}.lexer", f"{PACKAGE}.errors"}
    users = set(_graph().predecessors(f"{PACKAGE}.module"))
    assert {f"{PACKAGE}.parser", f"{PACKAGE}.loops", f"{PACKAGE}.graphs", f"{PACKAGE}.metrics"} <= users


def test_the_cycle_check_sees_function_level_imports(tmp_path):
    module = tmp_path / "x.py"
    module.write_text("def f():\n    from hloscope.hlo.parser import parse_hlo\n    from hloscope.hlo import loops\n")
    assert _imports(module) == {"hloscope.hlo.parser", "hloscope.hlo.loops"}
