"""Every bad input gets a one-line error naming the problem, exit status 2, no traceback."""

import json
import textwrap

import pytest
from click.testing import CliRunner

from hloscope.cli import main

VALID_HLO = textwrap.dedent(
    """\
    HloModule m

    add {
      a = f32[] parameter(0)
      b = f32[] parameter(1)
      ROOT s = f32[] add(a, b)
    }

    ENTRY main {
      p = f32[4] parameter(0)
      z = f32[] constant(0)
      ROOT r = f32[] reduce(p, z), dimensions={0}, to_apply=add
    }
    """
)


def run(args, stdin=None):
    return CliRunner().invoke(main, args, input=stdin)


def assert_input_error(result, *fragments, code=2):
    """Exit status, one line of error, the named problem, and no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.output.splitlines() if line.startswith("hloscope: error:")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


# ---- flags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layers, fragment",
    [
        ("1,0", "0 is not a positive"),
        ("-2", "-2 is not a positive"),
        ("1,two", "'two' is not an integer"),
        ("1.5", "'1.5' is not an integer"),
        ("2,4,2", "2 is listed twice"),
        ("", "comma-separated"),
        ("1,,2", "comma-separated"),
    ],
)
def test_bad_layer_lists(tmp_path, layers, fragment):
    out = tmp_path / "run"
    assert_input_error(run(["analyze", "--layers", layers, "--out", str(out)]), "--layers", fragment)
    assert not out.exists()


def test_unknown_model_lists_the_valid_ones(tmp_path):
    line = assert_input_error(run(["analyze", "--model", "resnet", "--out", str(tmp_path / "r")]), "'resnet'")
    for name in ("linear", "mlp", "transformer", "stem-trunk-head"):
        assert name in line


def test_unknown_variant_lists_the_valid_ones(tmp_path):
    line = assert_input_error(run(["analyze", "--variants", "scan,sideways", "--out", str(tmp_path / "r")]), "'sideways'")
    for name in ("scan", "unroll", "scan-remat", "scan-unroll-K"):
        assert name in line


def test_unknown_option():
    assert_input_error(run(["analyze", "--no-such-flag"]), "--no-such-flag")


def test_unknown_command():
    assert_input_error(run(["analyse-this"]), "analyse-this")


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_repeats_must_be_a_positive_integer(value):
    assert_input_error(run(["analyze", "--repeats", value]), "--repeats")


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_timeout_must_be_positive(value):
    assert_input_error(run(["analyze", "--timeout", value]), "--timeout")


# ---- user models -------------------------------------------------------------------------------

BLOCKS = textwrap.dedent(
    """\
    from flax import nnx

    NOT_CALLABLE = 3

    def raises(rngs):
        raise RuntimeError("factory exploded")

    def not_module(rngs):
        return [1, 2, 3]

    class Widen(nnx.Module):
        def __init__(self, rngs):
            self.linear = nnx.Linear(32, 64, rngs=rngs)

        def __call__(self, x):
            return self.linear(x)

    def widen(rngs):
        return Widen(rngs)
    """
)


@pytest.fixture
def blocks_file(tmp_path):
    path = tmp_path / "blocks.py"
    path.write_text(BLOCKS)
    (tmp_path / "broken.py").write_text("def f(:\n")
    return path


@pytest.mark.parametrize(
    "target, fragments",
    [
        ("missing.py:make", ["missing.py", "no such file"]),
        ("blocks.py:absent", ["blocks.py", "absent"]),
        ("blocks.py:NOT_CALLABLE", ["NOT_CALLABLE", "not a callable"]),
        ("blocks.py:raises", ["raises", "factory exploded"]),
        ("blocks.py:not_module", ["not_module", "nnx.Module"]),
        ("broken.py:f", ["broken.py", "SyntaxError"]),
        ("blocks.py:widen", ["shape-preserving", "stem-trunk-head"]),
    ],
)
def test_bad_user_models(blocks_file, target, fragments):
    folder = blocks_file.parent
    out = folder / "run"
    model = str(folder / target)
    result = run(["analyze", "--model", model, "--input-shape", "4,32", "--layers", "1,2", "--out", str(out)])
    assert_input_error(result, *fragments)
    assert not out.exists(), "nothing is written for a model that cannot be built"


def test_module_that_is_not_importable(tmp_path):
    result = run(["analyze", "--model", "no_such_package_xyz.blocks:make", "--input-shape", "4", "--out", str(tmp_path / "r")])
    assert_input_error(result, "no_such_package_xyz")


@pytest.mark.parametrize("shape", ["4,x", "0,3", "", "4,,3", "-1"])
def test_malformed_input_shape(blocks_file, shape):
    model = f"{blocks_file}:widen"
    assert_input_error(run(["analyze", "--model", model, "--input-shape", shape]), "--input-shape")


# ---- HLO input ---------------------------------------------------------------------------------


def inspect_text(tmp_path, data: bytes):
    path = tmp_path / "module.hlo"
    path.write_bytes(data)
    return run(["inspect", str(path)])


def test_valid_hlo_is_accepted(tmp_path):
    result = inspect_text(tmp_path, VALID_HLO.encode())
    assert result.exit_code == 0, result.output


def test_empty_hlo_file(tmp_path):
    assert_input_error(inspect_text(tmp_path, b""), "module.hlo", "empty")


def test_binary_junk(tmp_path):
    assert_input_error(inspect_text(tmp_path, bytes(range(256)) * 4), "module.hlo")


def test_invalid_utf8(tmp_path):
    data = VALID_HLO.encode().replace(b"HloModule m", b"HloModule m\xff\xfe")
    assert_input_error(inspect_text(tmp_path, data), "module.hlo", "UTF-8")


def test_truncated_module_names_line_and_column(tmp_path):
    cut = VALID_HLO[: VALID_HLO.index("dimensions")]
    assert_input_error(inspect_text(tmp_path, cut.encode()), "line", "column")


def test_undefined_operand(tmp_path):
    text = VALID_HLO.replace("reduce(p, z)", "reduce(p, nowhere)")
    line = assert_input_error(inspect_text(tmp_path, text.encode()), "nowhere", "line 12")
    assert "column" in line


def test_undefined_computation(tmp_path):
    text = VALID_HLO.replace("to_apply=add", "to_apply=subtract_all")
    assert_input_error(inspect_text(tmp_path, text.encode()), "subtract_all", "line")


def test_duplicate_computation_names(tmp_path):
    text = VALID_HLO.replace("ENTRY main", "add {\n  q = f32[] parameter(0)\n  ROOT c = f32[] copy(q)\n}\n\nENTRY main")
    assert_input_error(inspect_text(tmp_path, text.encode()), "add", "line")


def test_hlo_from_stdin_with_an_error():
    assert_input_error(run(["inspect", "-"], stdin=VALID_HLO.replace("(p, z)", "(p, zz)")), "zz", "line")


def test_missing_path(tmp_path):
    assert_input_error(run(["inspect", str(tmp_path / "nope.hlo")]), "nope.hlo")


def test_directory_without_hlo_text(tmp_path):
    (tmp_path / "module_0001.jit_f.buffer-assignment.txt").write_text("not hlo")
    assert_input_error(run(["inspect", str(tmp_path)]), "no HLO text", str(tmp_path))


def test_path_that_is_a_directory_for_a_results_file(tmp_path):
    assert_input_error(run(["check", str(tmp_path)]), str(tmp_path))


# ---- results input -----------------------------------------------------------------------------


def results_cases():
    good = {
        "format": "hloscope.results",
        "version": 1,
        "created": "2026-01-01T00:00:00+00:00",
        "command": "hloscope analyze",
        "environment": {},
        "config": {},
        "points": [],
    }
    newer = dict(good, version=99)
    other = dict(good, format="coverage.py")
    missing = {k: v for k, v in good.items() if k != "points"}
    bad_point = dict(good, points=[{"model": "linear"}])
    return [
        ("not json {", ["not JSON"]),
        (json.dumps(other), ["not an hloscope results file"]),
        (json.dumps(newer), ["version 99", "newer"]),
        (json.dumps(missing), ["missing", "points"]),
        (json.dumps(bad_point), ["point"]),
        (json.dumps([1, 2, 3]), ["not an hloscope results file"]),
    ]


@pytest.mark.parametrize("text, fragments", results_cases())
@pytest.mark.parametrize("command", ["report", "check", "compare"])
def test_bad_results_files(tmp_path, command, text, fragments):
    path = tmp_path / "results.json"
    path.write_text(text)
    args = {
        "report": ["report", str(path), "--out", str(tmp_path / "r.html")],
        "check": ["check", str(path)],
        "compare": ["compare", str(path), str(path)],
    }[command]
    assert_input_error(run(args), str(path), *fragments)
    assert not (tmp_path / "r.html").exists()


def test_missing_results_file(tmp_path):
    assert_input_error(run(["report", str(tmp_path / "none.json"), "--out", str(tmp_path / "r.html")]), "none.json")


# ---- output ------------------------------------------------------------------------------------


def test_out_that_is_an_existing_file(tmp_path):
    target = tmp_path / "taken"
    target.write_text("keep me")
    assert_input_error(run(["analyze", "--model", "linear", "--layers", "1", "--out", str(target)]), "not a folder")
    assert target.read_text() == "keep me"


def test_out_inside_an_unwritable_place(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    # A folder cannot be made inside a file, whoever runs the tests (root included).
    assert_input_error(run(["analyze", "--model", "linear", "--layers", "1", "--out", str(blocker / "run")]), "--out")


def test_existing_run_folder_is_never_overwritten(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "points.jsonl").write_text('{"earlier": true}\n')
    line = assert_input_error(run(["analyze", "--model", "linear", "--layers", "1", "--out", str(out)]), str(out))
    assert "--resume" in line or "not empty" in line
    assert (out / "points.jsonl").read_text() == '{"earlier": true}\n'
