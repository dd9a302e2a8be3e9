"""The classic scan-over-layers mistakes, each caught with a clear message."""

import json

import pytest
from click.testing import CliRunner

from hloscope.cli import main
from hloscope.run.config import SweepConfig
from hloscope.errors import ModelError
from hloscope.run.measure import measure_point
from hloscope.models.checks import check_shapes, identical_layer_warnings
from hloscope.run.checks import resolve_model, validate_config
from hloscope.models.stacking import build_stack

HEADER = "import jax\nfrom flax import nnx\n"

IGNORES_RNGS = HEADER + '''
def make_block(rngs):
    # The pitfall: a fixed key instead of the rngs hloscope hands in.
    return nnx.Linear(8, 8, rngs=nnx.Rngs(0))
'''

WIDENS = HEADER + '''
def make_block(rngs):
    return nnx.Linear(8, 16, rngs=rngs)
'''

COUNTS_CALLS = HEADER + '''
calls = [0]

class Drifting(nnx.Module):
    """Adds how often it was traced: a Python side effect scan traces once."""

    def __init__(self, rngs):
        self.linear = nnx.Linear(8, 8, rngs=rngs)

    def __call__(self, x):
        calls[0] += 1
        return self.linear(x) + calls[0]

def make_block(rngs):
    return Drifting(rngs)
'''


def run(args, tmp_path):
    return CliRunner().invoke(main, ["analyze", *args, "--repeats", "1", "--out", str(tmp_path / "run")])


def write(tmp_path, text, name="block.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def refusal(model):
    """The one-line message a run of ``model`` at input shape (2, 8) is refused with.

    Checked where the refusal is made (the run's checks, as the worker runs them): that the CLI
    turns such a ModelError into exit status 2 and one line before any folder is made is
    tests/test_bad_input.py's, for every kind of broken factory.
    """
    with pytest.raises(ModelError) as caught:
        validate_config(SweepConfig(models=(model,), input_shape=(2, 8)))
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    return message


def test_layers_built_from_one_key_are_reported(tmp_path):
    block = write(tmp_path, IGNORES_RNGS)
    result = run(["--model", f"{block}:make_block", "--input-shape", "2,8", "--layers", "1,2"], tmp_path)
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "kernel is identical in all" in result.output
    assert "split_rngs" in result.output
    raw = json.loads((tmp_path / "run" / "results.json").read_text())
    at_two = [p for p in raw["points"] if p["layers"] == 2]
    assert all(any("kernel" in w for w in p["warnings"]) for p in at_two)
    # A zero-initialised bias is alike in every layer by design: not reported.
    assert not any("bias" in w for p in raw["points"] for w in p["warnings"])


def test_builtins_do_not_warn():
    config = SweepConfig(models=("mlp",), features=8)
    stack = build_stack(resolve_model(config, "mlp"), 3)
    assert identical_layer_warnings("mlp", stack.states[1], 3) == []


def test_shape_changing_block_is_refused_naming_both_shapes(tmp_path):
    block = write(tmp_path, WIDENS)
    message = refusal(f"{block}:make_block")
    assert "shape-preserving" in message and "stem-trunk-head" in message
    assert "float32[2,8]" in message and "float32[2,16]" in message


def test_wrong_input_shape_is_a_model_error(tmp_path):
    config = SweepConfig(models=(f"{write(tmp_path, IGNORES_RNGS)}:make_block",), input_shape=(2, 5))
    with pytest.raises(ModelError, match="input-shape"):
        check_shapes(resolve_model(config, "make_block"))


@pytest.mark.parametrize(
    "text,factory,expected",
    [
        (None, "make_block", "no such file"),
        (HEADER, "make_block", "no factory named 'make_block'"),
        (HEADER + "make_block = 3\n", "make_block", "not a callable"),
        (HEADER + "def make_block(rngs):\n    raise RuntimeError('boom')\n", "make_block", "raised RuntimeError: boom"),
        (HEADER + "def make_block(rngs):\n    return [1, 2]\n", "make_block", "returned a list, not an nnx.Module"),
        ("this is not python\n", "make_block", "importing"),
    ],
)
def test_broken_factories_give_one_line_errors(tmp_path, text, factory, expected):
    block = tmp_path / "myblock.py"
    if text is not None:
        block.write_text(text)
    message = refusal(f"{block}:{factory}")
    assert expected in message
    assert str(block) in message and factory in message
    assert "Traceback" not in message


def test_missing_module_names_it():
    message = refusal("no_such_pkg.blocks:make_block")
    assert "no_such_pkg.blocks" in message and "make_block" in message


def test_variant_that_computes_something_else_fails_the_point(tmp_path):
    block = write(tmp_path, COUNTS_CALLS, "drifting.py")
    config = SweepConfig(models=(f"{block}:make_block",), input_shape=(2, 8), repeats=1)
    point = measure_point(config, "make_block", "unroll", 3)
    assert point.status == "failed"
    assert "differs from scan" in point.error and "tolerance" in point.error
    assert point.extra["equivalence"]["ok"] is False
    assert measure_point(config, "make_block", "scan", 3).ok
