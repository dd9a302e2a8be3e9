"""The layout's rules: which part imports what, no import cycles, modules of one job."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hloscope"
HEAVY = ("jax", "jaxlib", "flax", "optax")
GOLDEN = Path(__file__).parent / "golden"
HLO_CASE = Path(__file__).parent / "hlo_cases" / "calls.hlo"
MAX_MODULE_LINES = 450


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path) -> set[str]:
    """Every module an import statement names, at any depth (function-level imports count).

    ``from package import name`` names ``package.name`` when that is a module of hloscope, else
    ``package``. Importing a submodule also runs its package's ``__init__`` first; like other
    import checkers, that implicit step is not counted as an edge.
    """
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found


def hloscope_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        graph.add_node(name)
        for target in imports_of(path):
            if target in MODULES and target != name:
                graph.add_edge(name, target)
    return graph


def test_no_import_cycle_among_hloscope_modules():
    cycles = list(nx.simple_cycles(hloscope_graph()))
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c + [c[0]]) for c in cycles)


# What each part never imports (README, "Where things live").
FORBIDDEN = {
    "hloscope.hlo": HEAVY + ("click", "hloscope.run", "hloscope.models", "hloscope.results", "hloscope.report",
                             "hloscope.cli"),
    "hloscope.results": HEAVY + ("click", "hloscope.run", "hloscope.models", "hloscope.report", "hloscope.cli"),
    "hloscope.report": HEAVY + ("click", "hloscope.run", "hloscope.models", "hloscope.cli"),
    "hloscope.models": ("hloscope.run", "hloscope.results", "hloscope.report", "hloscope.cli"),
    "hloscope.variants": HEAVY + ("click", "hloscope.run", "hloscope.models", "hloscope.results", "hloscope.report"),
}


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_each_part_keeps_to_its_imports(part):
    found = []
    for name, path in MODULES.items():
        if name == part or name.startswith(part + "."):
            found += [f"{name} imports {target}" for target in imports_of(path)
                      if any(target == bad or target.startswith(bad + ".") for bad in FORBIDDEN[part])]
    assert found == []


def test_no_module_holds_more_than_one_job_by_size():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def _reading_command_modules(argv: list[str]) -> tuple[int, list[str]]:
    probe = (
        "import sys\n"
        "from hloscope.cli import main\n"
        "code = 0\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        f"print(code, sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    code, modules = done.stdout.strip().splitlines()[-1].split(" ", 1)
    return int(code), json.loads(modules.replace("'", '"'))


@pytest.mark.parametrize("command", ["inspect", "report-html", "report-md", "compare", "check"])
def test_reading_commands_never_import_jax_flax_or_optax(command, tmp_path):
    healthy, regressed = str(GOLDEN / "results_healthy.json"), str(GOLDEN / "results_regressed.json")
    argv = {
        "inspect": ["inspect", str(HLO_CASE), "--json"],
        "report-html": ["report", healthy, "--out", str(tmp_path / "r.html")],
        "report-md": ["report", healthy, "--out", str(tmp_path / "r.md"), "--format", "md"],
        "compare": ["compare", healthy, regressed, "--out", str(tmp_path / "c.html")],
        "check": ["check", healthy],
    }[command]
    code, heavy = _reading_command_modules(argv)
    assert code in (0, 1) and heavy == []
