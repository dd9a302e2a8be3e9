"""inspect, report, compare and check read files; they never run code named in them."""

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from hloscope.cli import main

HEALTHY = Path(__file__).parent / "golden" / "results_healthy.json"


def test_commands_that_read_results_never_import_a_model_they_name(tmp_path):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil_block.py"
    evil.write_text(f"open({str(marker)!r}, 'w').write('imported')\ndef make(rngs):\n    raise SystemExit(3)\n")
    record = json.loads(HEALTHY.read_text())
    source = f"{evil}:make"
    record["command"] = f"hloscope analyze --model {source}"
    record["config"]["models"] = [source]
    for point in record["points"]:
        point["model"] = source
    results = tmp_path / "results.json"
    results.write_text(json.dumps(record))
    modules_before = set(sys.modules)

    runner = CliRunner()
    for args in (
        ["report", str(results), "--out", str(tmp_path / "r.html")],
        ["report", str(results), "--out", str(tmp_path / "r.md"), "--format", "md"],
        ["compare", str(results), str(results), "--out", str(tmp_path / "c.html")],
        ["check", str(results)],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code in (0, 1), (args, result.output)
    assert not marker.exists()
    assert not any("evil_block" in name for name in set(sys.modules) - modules_before)
    page = (tmp_path / "r.html").read_text()
    assert str(evil) in page  # shown as text, not run


def test_inspect_never_runs_what_the_hlo_names(tmp_path):
    marker = tmp_path / "ran"
    text = (
        "HloModule m\n\nENTRY main {\n"
        "  p = f32[2] parameter(0)\n"
        f"  ROOT c = f32[2] custom-call(p), custom_call_target=\"__import__('os').system('touch {marker}')\", "
        f"backend_config=\"{{{{ lipsum.__globals__ }}}}\"\n"
        "}\n"
    )
    path = tmp_path / "m.hlo"
    path.write_text(text)
    for extra in ([], ["--json"], ["--html", str(tmp_path / "i.html")]):
        result = CliRunner().invoke(main, ["inspect", str(path), *extra])
        assert result.exit_code == 0, result.output
    assert not marker.exists()
    page = (tmp_path / "i.html").read_text()
    # Data is rendered as text, never as a template or markup.
    assert "<script" not in page.lower()
    assert "custom-call" in page
