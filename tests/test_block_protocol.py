"""The block protocol beyond x -> y: broadcast extras through --inputs, (y, aux) outputs, clear refusals."""

import json
import shutil
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from click.testing import CliRunner

from hloscope.cli import main
from hloscope.errors import ModelError, UsageError
from hloscope.models import stacking
from hloscope.run import equivalence
from hloscope.run.checks import check_options, resolve_model, validate_config
from hloscope.run.config import SweepConfig, reproduce_command
from hloscope.run.equivalence import check_equivalence, compare_outputs

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

BLOCKS = '''
import jax.numpy as jnp
from flax import nnx


class Masked(nnx.Module):
    def __init__(self, rngs):
        self.linear = nnx.Linear(8, 8, rngs=rngs)

    def __call__(self, x, mask):
        return x + self.linear(x) * mask


first_call = [True]


class FirstLayerOnly(nnx.Module):
    """Adds the positions in the first layer only: a Python flag that scan traces once."""

    def __init__(self, rngs):
        self.linear = nnx.Linear(8, 8, rngs=rngs)

    def __call__(self, x, positions):
        if first_call[0]:
            first_call[0] = False
            x = x + positions
        return x + self.linear(x)


class Outputs(nnx.Module):
    def __init__(self, rngs, form):
        self.linear = nnx.Linear(8, 8, rngs=rngs)
        self.form = form

    def __call__(self, x):
        y = self.linear(x)
        return {"three": (y, y.sum(), y.mean()), "swapped": (y.sum(), y), "list": [y, y.sum()],
                "narrow": y[:, :4]}[self.form]


def masked(rngs): return Masked(rngs)
def first_layer_only(rngs): return FirstLayerOnly(rngs)
def three(rngs): return Outputs(rngs, "three")
def swapped(rngs): return Outputs(rngs, "swapped")
def listed(rngs): return Outputs(rngs, "list")
def narrow(rngs): return Outputs(rngs, "narrow")

def good_inputs(): return jnp.ones((2, 8)), jnp.ones((8,))
def list_inputs(): return [jnp.ones((2, 8)), jnp.ones((8,))]
def float_inputs(): return jnp.ones((2, 8)), 0.5
def bare_inputs(): return jnp.ones((2, 8))
def raising_inputs(): raise RuntimeError("no data here")
'''


pytestmark = pytest.mark.usefixtures("cold_caches")


@pytest.fixture
def blocks(tmp_path):
    path = tmp_path / "protocol_blocks.py"
    path.write_text(BLOCKS)
    return path


def example(tmp_path, name):
    """A copy of an example block outside the project, as a user would have it."""
    path = tmp_path / "outside" / name
    path.parent.mkdir(exist_ok=True)
    shutil.copy(EXAMPLES / name, path)
    return path


def test_decoder_with_mask_and_positions_through_inputs(tmp_path):
    block = example(tmp_path, "decoder_block.py")
    out = tmp_path / "run"
    result = CliRunner().invoke(main, [
        "analyze", "--model", f"{block}:make_block", "--inputs", f"{block}:make_inputs", "--layers", "1,2",
        "--variants", "scan,unroll,unroll-sliced", "--repeats", "1", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    raw = json.loads((out / "results.json").read_text())
    assert raw["config"]["inputs"] == f"{block}:make_inputs"
    assert json.loads((out / "config.json").read_text())["config"]["inputs"] == f"{block}:make_inputs"
    assert f"--inputs {block}:make_inputs" in raw["command"] and "--input-shape" not in raw["command"]
    # The sizes are the example call's: x (2, 8, 16), a causal mask and the positions.
    assert raw["config"]["sizes"] == {"make_block": {
        "inputs": f"{block}:make_inputs", "input_shape": [2, 8, 16], "dtype": "float32",
        "extra_inputs": ["bool[1,1,8,8]", "float32[2,8]"]}}
    points = raw["points"]
    assert all(p["status"] == "ok" for p in points)
    assert all(p["equivalence"]["max_abs_diff"] == 0.0 for p in points if p["variant"] != "scan")
    scan = [p for p in points if p["variant"] == "scan"]
    per_layer = scan[0]["arrays_per_layer"]
    # x, the mask and the positions are arguments of the lowered forward, beside the stacked arrays.
    assert {p["hlo"]["pre"]["entry_parameters"] for p in scan} == {per_layer + 3}
    assert len({p["hlo"]["pre"]["instructions"] for p in scan}) == 1
    unroll = {p["layers"]: p["hlo"]["pre"]["entry_parameters"] for p in points if p["variant"] == "unroll"}
    assert unroll == {L: L * per_layer + 3 for L in (1, 2)}
    # The parent process never imports the user's files: only the worker does.
    assert not [name for name in sys.modules if name.startswith("hloscope_user_block_decoder_block")]


def test_extras_are_the_same_objects_in_every_layer(blocks):
    config = SweepConfig(models=(f"{blocks}:masked",), inputs=f"{blocks}:good_inputs")
    spec = resolve_model(config, "masked")
    assert validate_config(config) == []
    x, mask = spec.example_inputs()
    stack = stacking.build_stack(spec, 3)
    outputs = {v: np.asarray(equivalence._run(stack, v, (x, mask))) for v in ("scan", "unroll", "unroll-sliced")}
    np.testing.assert_array_equal(outputs["scan"], outputs["unroll"])
    np.testing.assert_array_equal(outputs["scan"], outputs["unroll-sliced"])
    # The mask reaches every layer: zeroing it leaves x unchanged through all three.
    zero = np.asarray(equivalence._run(stack, "scan", (x, jnp.zeros_like(mask))))
    np.testing.assert_array_equal(zero, np.asarray(x))


def test_aux_outputs_are_stacked_by_every_variant(tmp_path):
    block = example(tmp_path, "aux_loss_block.py")
    spec = resolve_model(SweepConfig(models=(f"{block}:make_block",), input_shape=(8, 16)), "make_block")
    assert validate_config(SweepConfig(models=(f"{block}:make_block",), input_shape=(8, 16))) == []
    stack = stacking.build_stack(spec, 3)
    x = spec.example_inputs()
    outputs = {v: equivalence._run(stack, v, x) for v in ("scan", "unroll", "unroll-sliced", "scan-remat")}
    for variant, (y, aux) in outputs.items():
        assert y.shape == (8, 16)
        assert aux["balance_loss"].shape == (3,) and aux["tokens_per_expert"].shape == (3, 4)
        assert aux["tokens_per_expert"].dtype == jnp.int32
        assert int(aux["tokens_per_expert"].sum()) == 3 * 8
        record = compare_outputs(outputs["scan"], (y, aux))
        assert record["ok"], (variant, record)
    for variant in ("unroll", "scan-unroll-2"):
        assert check_equivalence(spec, variant, 3)["ok"]


def test_equivalence_compares_aux_too():
    y = np.linspace(-1, 1, 8, dtype=np.float32)
    reference = (y, {"loss": np.float32([0.5, 0.25]), "count": np.int32([3, 4])})
    assert compare_outputs(reference, reference)["ok"]
    loss_off = compare_outputs(reference, (y, {"loss": np.float32([0.5, 0.26]), "count": np.int32([3, 4])}))
    assert not loss_off["ok"] and loss_off["output"] == "aux['loss']"
    # Integer outputs must be equal: a count off by one is not rounding.
    count_off = compare_outputs(reference, (y, {"loss": np.float32([0.5, 0.25]), "count": np.int32([3, 5])}))
    assert not count_off["ok"] and count_off["output"] == "aux['count']" and count_off["tolerance"] == 0.0
    assert "in output aux['count']" in equivalence.mismatch_reason("unroll", count_off)
    missing = compare_outputs(reference, y)
    assert not missing["ok"] and "scan's 3" in missing["mismatch"]
    keys = jax.random.split(jax.random.key(0), 2)
    assert not compare_outputs(keys, jax.random.split(jax.random.key(1), 2))["ok"]
    assert compare_outputs(keys, keys)["ok"]


@pytest.mark.parametrize("factory, inputs, fragments", [
    ("masked", "list_inputs", ["list_inputs() returned a list", "return a tuple (x, *extras) of arrays"]),
    ("masked", "float_inputs", ["item 1 (extra 1)", "is a float, not an array"]),
    ("masked", "bare_inputs", ["returned a single array", "(x,) for x alone"]),
    ("masked", "raising_inputs", ["raising_inputs() raised RuntimeError: no data here"]),
    ("masked", "absent", ["has no function named 'absent'"]),
    ("first_layer_only", "good_inputs", ["second call traces to other operations than its first",
                                         "every layer must do the same with x and the extras"]),
    ("three", None, ["tuple of 3 items", "must be (y, aux)"]),
    ("listed", None, ["returned a list", "return y, or a tuple (y, aux)"]),
    ("swapped", None, ["first item is float32[] where x is float32[2,8]", "y of x's shape and dtype first"]),
    ("narrow", None, ["maps x of float32[2,8] to float32[2,4]", "shape-preserving"]),
    ("masked", None, ["missing 1 required positional argument", "--inputs PATH.py:FUNCTION"]),
])
def test_what_cannot_work_is_refused_naming_file_and_function(blocks, factory, inputs, fragments):
    options = {"inputs": f"{blocks}:{inputs}"} if inputs else {"input_shape": (2, 8)}
    config = SweepConfig(models=(f"{blocks}:{factory}",), **options)
    with pytest.raises(ModelError) as caught:
        validate_config(config)
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert str(blocks) in message and (inputs or factory) in message
    for fragment in fragments:
        assert fragment in message


def test_a_refused_block_exits_2_and_writes_nothing(blocks, tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, [
        "analyze", "--model", f"{blocks}:first_layer_only", "--inputs", f"{blocks}:good_inputs",
        "--layers", "1,2", "--repeats", "1", "--out", str(out),
    ])
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert "first_layer_only" in result.output and "second call" in result.output
    assert not out.exists()


@pytest.mark.parametrize("options, fragment", [
    ({"models": ("b.py:make",), "inputs": "b.py:make_inputs", "input_shape": (2, 8)}, "drop --input-shape"),
    ({"models": ("b.py:make",), "inputs": "b.py:make_inputs", "dtype": "bfloat16"}, "drop --dtype"),
    ({"models": ("linear",), "inputs": "b.py:make_inputs"}, "give --model PATH.py:FACTORY"),
    ({"models": ("b.py:make",), "inputs": "b.py"}, "PATH.py:FUNCTION"),
])
def test_inputs_options_are_checked_before_anything_is_imported(options, fragment):
    with pytest.raises(UsageError, match="--inputs") as caught:
        check_options(SweepConfig(**options))
    assert fragment in str(caught.value)


def test_reproduce_command_names_the_inputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = SweepConfig(models=("dir/b.py:make",), inputs="dir/b.py:make_inputs", layers=(1, 2))
    command = reproduce_command(config)
    assert f"--inputs {tmp_path}/dir/b.py:make_inputs" in command and "--input-shape" not in command
