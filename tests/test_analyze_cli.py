"""`hloscope analyze` end to end on a tiny sweep."""

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from hloscope.cli import main
from hloscope.results import load_results


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny sweep, run by the CLI in a fresh process that then reports whether it ever
    initialised a JAX backend: (its run folder, its last line of output)."""
    out = tmp_path_factory.mktemp("tiny") / "run"
    probe = (
        "import sys\n"
        "from hloscope.cli import main\n"
        "try:\n"
        f"    main(['analyze', '--model', 'linear', '--features', '16', '--layers', '1,2,4', '--repeats', '1',"
        f" '--quiet', '--out', {str(out)!r}])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "xb = sys.modules.get('jax._src.xla_bridge')\n"
        "print('exit', code, 'backends', sorted(xb._backends) if xb else [])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=600)
    return out, done.stdout.strip().splitlines()[-1:], done.stdout + done.stderr


def test_analyze_writes_results_and_offline_report(tiny_run):
    out, last_line, output = tiny_run
    assert last_line and last_line[0].startswith("exit 0 "), output
    results = load_results(out / "results.json")
    assert {(p.variant, p.layers) for p in results.points} == {
        (v, L) for v in ("scan", "unroll") for L in (1, 2, 4)
    }
    assert all(p.status == "ok" for p in results.points)
    raw = json.loads((out / "results.json").read_text())
    assert raw["format"] == "hloscope.results" and raw["version"] == 1
    for key in ("python", "jax", "jaxlib", "flax", "backend", "device", "cpu", "xla_flags"):
        assert key in raw["environment"]
    point = raw["points"][0]
    for stage in ("trace_s", "lower_s", "compile_s"):
        assert set(point["timing"][stage]) == {"median", "min", "max", "samples"}
    assert isinstance(point["timing"]["analysis_s"], float)
    for text in ("pre", "opt"):
        assert {"instructions", "computations", "while_loops", "bytes", "op_counts"} <= set(point["hlo"][text])
    metrics = {(g["variant"], g["metric"]): g["order"] for g in raw["growth"]}
    assert metrics[("scan", "hlo.pre.instructions")] == "O(1)"
    html = (out / "index.html").read_text()
    assert "<svg" in html and "linear" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "hloscope analyze" in html
    # The sizes the worker resolved the model to, where config holds only the options given.
    assert raw["config"]["sizes"] == {"linear": {"features": 16, "input_shape": [1, 16], "dtype": "float32"}}
    assert "features 16, x float32[1,16]" in html
    (headline,) = raw["headlines"]
    assert (headline["model"], headline["step"], headline["layers"]) == ("linear", "forward", 4)
    by_variant = {p["variant"]: p for p in raw["points"] if p["layers"] == 4}

    def end_to_end(point):
        return sum(point["timing"][stage]["median"] for stage in ("trace_s", "lower_s", "compile_s"))

    assert headline["end_to_end_ratio"] == end_to_end(by_variant["unroll"]) / end_to_end(by_variant["scan"])
    assert headline["compile_ratio"] == (by_variant["unroll"]["timing"]["compile_s"]["median"]
                                         / by_variant["scan"]["timing"]["compile_s"]["median"])


def test_the_reproduce_command_runs_as_printed_in_a_fresh_folder(tmp_path):
    """The command a report prints names no --out: run from another folder, it makes a run of its own."""
    import os

    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["analyze", "--model", "linear", "--features", "8", "--layers", "1",
                                       "--repeats", "1", "--variants", "scan", "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    command = json.loads((out / "results.json").read_text())["command"]
    assert "--out" not in command and command.startswith("hloscope analyze --model linear")
    assert "```\nmake install && . .venv/bin/activate" in _markdown(out)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(command, shell=True, cwd=fresh, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    (run,) = (fresh / "reports").iterdir()
    assert load_results(run).config["sizes"]["linear"]["features"] == 8


def _markdown(run_dir) -> str:
    from hloscope.report.markdown import render_markdown
    from hloscope.results.analysis import analyze_run

    return render_markdown(analyze_run(load_results(run_dir)))


def test_analyze_rejects_bad_layers(tmp_path):
    result = CliRunner().invoke(main, ["analyze", "--layers", "1,0", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "positive" in result.output
    assert not (tmp_path / "x").exists()


def test_analyze_rejects_unknown_model(tmp_path):
    result = CliRunner().invoke(main, ["analyze", "--model", "nope", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "linear" in result.output and "transformer" in result.output
    assert "Traceback" not in result.output


def test_analyze_refuses_to_overwrite_a_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "results.json").write_text("{}")
    result = CliRunner().invoke(main, ["analyze", "--model", "linear", "--layers", "1", "--out", str(out)])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert (out / "results.json").read_text() == "{}"


def test_the_analyzing_process_never_initialises_a_jax_backend(tiny_run):
    """The worker measures; a parent holding the device (and its memory) would distort it."""
    out, last_line, output = tiny_run
    assert last_line == ["exit 0 backends []"], output
    results = load_results(out)
    assert results.environment["backend"] == "cpu" and results.environment["device_count"] >= 1


def test_the_analyzing_process_imports_no_jax_for_a_refused_option(tmp_path):
    """Options are checked without jax: a bad variant is refused before any worker starts."""

    probe = (
        "import sys\n"
        "from hloscope.cli import main\n"
        "try:\n"
        f"    main(['analyze', '--model', 'linear', '--variants', 'scan,unrolled', '--out', {str(tmp_path / 'run')!r}])\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code, sorted({m.split('.')[0] for m in sys.modules} & {'jax', 'flax', 'optax'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "exit 2 []", done.stdout + done.stderr
    assert "unknown variant 'unrolled'" in done.stderr and not (tmp_path / "run").exists()


def test_the_reproduce_command_names_a_user_block_by_its_absolute_path(tmp_path, monkeypatch):
    from hloscope.run.config import SweepConfig, reproduce_command

    monkeypatch.chdir(tmp_path)
    config = SweepConfig(models=("blocks/glu.py:make_block", "userpkg.blocks:make", "linear"), input_shape=(2, 8),
                         layers=(1, 2), timeout_s=30.0)
    command = reproduce_command(config)
    assert command == (f"hloscope analyze --model {tmp_path}/blocks/glu.py:make_block --model userpkg.blocks:make "
                       "--model linear --layers 1,2 --variants scan,unroll --step forward --input-shape 2,8 --dtype float32 "
                       "--repeats 3 --timeout 30")
    # A function that builds the inputs is named by its file's absolute path too.
    with_inputs = SweepConfig(models=("blocks/glu.py:make_block",), inputs="blocks/glu.py:make_inputs", layers=(1, 2))
    assert f"--inputs {tmp_path}/blocks/glu.py:make_inputs" in reproduce_command(with_inputs)
