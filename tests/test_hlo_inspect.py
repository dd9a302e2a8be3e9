"""inspect: sources from files, stdin and XLA dump folders; text, JSON and HTML reports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hloscope.errors import UsageError
from hloscope.hlo import HloParseError
from hloscope.hlo.inspection import HloSource, inspect_sources, load_hlo_sources, report_to_json
from hloscope.report.inspect_view import format_text, render_inspect_html

CASES = Path(__file__).parent / "hlo_cases"


@pytest.fixture(scope="module")
def dump_dir(tmp_path_factory) -> Path:
    """A real folder written by XLA's --xla_dump_to for one jitted function."""
    folder = tmp_path_factory.mktemp("xla_dump")
    code = (
        "import jax, jax.numpy as jnp\n"
        "f = jax.jit(lambda x: jax.lax.fori_loop(0, 3, lambda i, c: jnp.sin(c) @ c, x))\n"
        "f(jnp.ones((4, 4))).block_until_ready()\n"
    )
    env = dict(os.environ, XLA_FLAGS=f"--xla_dump_to={folder}", JAX_PLATFORMS="cpu")
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
    return folder


def test_dump_folder_picks_module_texts_and_skips_reports(dump_dir):
    names = sorted(p.name for p in dump_dir.iterdir())
    assert any("buffer-assignment" in n for n in names)
    sources = load_hlo_sources(str(dump_dir))
    labels = [s.label for s in sources]
    assert labels and all(l.endswith(("before_optimizations.txt", "after_optimizations.txt")) for l in labels)
    assert not any("buffer-assignment" in l or "memory-usage" in l for l in labels)
    kinds = {s.label: s.kind for s in sources}
    assert all(kinds[l] == "pre" for l in labels if l.endswith(".before_optimizations.txt"))
    assert all(kinds[l] == "opt" for l in labels if l.endswith("after_optimizations.txt"))
    # Sorted by module number, before-optimization first.
    numbers = [int(re.match(r"module_(\d+)", l).group(1)) for l in labels]
    assert numbers == sorted(numbers)
    reports = inspect_sources(sources)
    loop_modules = [r for r in reports if r.summary.while_loops]
    assert {r.kind for r in loop_modules} == {"pre", "opt"}
    assert all(r.loops[0].trip_count == 3 for r in loop_modules)


def test_file_and_stdin():
    path = CASES / "calls.hlo"
    [source] = load_hlo_sources(str(path))
    assert source == HloSource(str(path), path.read_text(), "unknown")
    [from_stdin] = load_hlo_sources("-", stdin_text=path.read_text())
    assert from_stdin.label == "<stdin>" and from_stdin.text == path.read_text()
    [scheduled] = load_hlo_sources(str(CASES / "jax_loops_opt.hlo"))
    assert scheduled.kind == "opt"


def test_folder_of_hlo_files_when_not_a_dump(tmp_path):
    (tmp_path / "a.hlo").write_text((CASES / "no_header.hlo").read_text())
    (tmp_path / "notes.md").write_text("# not HLO")
    assert [s.label for s in load_hlo_sources(str(tmp_path))] == ["a.hlo"]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b"\xff\xfeH\x00l\x00", "binary"),
        (b"HloModule m\n\xc3\x28 bad utf-8\n", "not UTF-8"),
        (bytes(range(1, 32)) * 10, "binary"),
    ],
)
def test_unreadable_files_are_usage_errors(tmp_path, content, message):
    path = tmp_path / "bad.hlo"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message) as info:
        load_hlo_sources(str(path))
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(UsageError, match="no such file or directory"):
        load_hlo_sources(str(tmp_path / "nope.hlo"))
    (tmp_path / "report.txt").write_text("not a dump")
    with pytest.raises(UsageError, match="no HLO text in"):
        load_hlo_sources(str(tmp_path))
    with pytest.raises(UsageError, match="<stdin> is empty"):
        load_hlo_sources("-", stdin_text="")


def test_parse_errors_name_the_source():
    bad = HloSource("dump/module_0001.txt", "ENTRY e {\n  %y = f32[] negate(%x)\n}\n", "pre")
    with pytest.raises(HloParseError, match=r"dump/module_0001\.txt: line 2, column 21"):
        inspect_sources([bad])


def test_text_and_json_reports():
    sources = load_hlo_sources(str(CASES / "jax_loops_opt.hlo")) + load_hlo_sources(str(CASES / "calls.hlo"))
    reports = inspect_sources(sources)
    text = format_text(reports)
    assert "computations 15, instructions 86, fusions 8" in text
    assert "while.0 in while.10_computation: depth 1, trip count 5 (backend_config)" in text
    assert "top opcodes: parameter 25" in text
    data = report_to_json(reports)
    assert json.loads(json.dumps(data)) == data
    first = data["modules"][0]
    assert first["kind"] == "opt" and first["summary"]["fusions"] == 8
    assert [loop["trip_count"] for loop in first["while_loops"]] == [5, 3]


def test_loop_tree_nests_inner_loops():
    [report] = inspect_sources(load_hlo_sources(str(CASES / "nested_loops.hlo")))
    outer, inner = sorted(report.loops, key=lambda loop: loop.depth)
    assert (outer.name, outer.depth, outer.trip_count, outer.parent) == ("outer", 1, 3, None)
    assert (inner.name, inner.depth, inner.trip_count, inner.parent) == ("inner", 2, 5, "outer")
    assert report.summary.weighted_op_counts["multiply"] == 15
    html = render_inspect_html([report])
    assert html.index("<code>outer</code>") < html.index("<code>inner</code>")
    assert html.count('<ul class="tree">') == 2
    # Each bar stands beside its own count: multiply is 1 of the largest 8 (get-tuple-element) as written,
    # 15 of the largest 62 weighted by trip counts.
    row = re.search(r"<tr><td><code>multiply</code></td>.*?</tr>", html).group(0)
    widths = [float(w) for w in re.findall(r'style="width: ([0-9.]+)%"', row)]
    assert widths == [12.5, 24.2] and '<td class="num">1</td>' in row and '<td class="num">15</td>' in row


def test_html_is_self_contained_and_escapes_untrusted_text(tmp_path):
    nasty = tmp_path / "<img src=x onerror=alert(1)>.hlo"
    nasty.write_text((CASES / "comments_and_wrapping.hlo").read_text())
    reports = inspect_sources(load_hlo_sources(str(tmp_path)) + load_hlo_sources(str(CASES / "jax_loops_opt.hlo")))
    html = render_inspect_html(reports)
    assert html.startswith("<!DOCTYPE html>")
    assert "<img" not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.hlo" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert html.count("<section") == 2
    assert "while.10_computation" in html and "region_0.2" in html
    assert 'class="bar"' in html


def _stack_text(layers: int) -> str:
    lines = ["HloModule stack", "ENTRY main {", "  x0 = f32[2,8]{1,0} parameter(0)"]
    for i in range(layers):
        lines += [
            f"  w{i} = f32[8,8]{{1,0}} parameter({i + 1})",
            f"  d{i} = f32[2,8]{{1,0}} dot(x{i}, w{i}), lhs_contracting_dims={{1}}, rhs_contracting_dims={{0}}",
            f"  t{i} = f32[2,8]{{1,0}} tanh(d{i})",
            f"  x{i + 1} = f32[2,8]{{1,0}} add(x{i}, t{i})",
        ]
    return "\n".join(lines + [f"  ROOT out = f32[2,8]{{1,0}} negate(x{layers})", "}", ""])


def test_repeated_layers_are_named_in_text_json_and_html():
    stack = HloSource("stack.hlo", _stack_text(6), "pre")
    plain = load_hlo_sources(str(CASES / "calls.hlo"))
    reports = inspect_sources([stack] + plain)
    text = format_text(reports)
    assert (
        "ENTRY: 6 copies of a 3-instruction block (96% of 26 instructions); "
        "as a scan this would hold one copy inside a while loop"
    ) in text
    assert "repeated blocks: none" in text.split("calls.hlo")[1]
    data = report_to_json(reports)
    [block] = data["modules"][0]["repeated_blocks"]
    assert {k: block[k] for k in ("computation", "count", "instructions", "first", "last")} == {
        "computation": "main", "count": 6, "instructions": 3, "first": "d0", "last": "x1"
    }
    assert block["fraction"] == pytest.approx(25 / 26) and block["layers"] is True
    assert data["modules"][1]["repeated_blocks"] == []
    html = render_inspect_html(reports)
    assert '<li class="layers"><span class="badge">layers</span> ENTRY: 6 copies of a 3-instruction block' in html
    assert "repeated layers\">6 copies of a 3-instruction block</span>" in html
    assert "No repeated blocks." in html.split("<section id=\"module-1\">")[1]
