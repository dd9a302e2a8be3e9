"""A user's own block: loaded from a file or a module, stacked and swept by hloscope."""

import json
import shutil
import sys
from pathlib import Path

from click.testing import CliRunner

from hloscope.cli import main
from hloscope.run.config import SweepConfig
from hloscope.run.equivalence import check_equivalence
from hloscope.run.checks import resolve_model, validate_config
from hloscope.models.user import load_factory

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "glu_block.py"

SMALL_BLOCK = '''
import jax
from flax import nnx

class Gated(nnx.Module):
    def __init__(self, rngs):
        self.gate = nnx.Linear(8, 8, rngs=rngs)
        self.value = nnx.Linear(8, 8, rngs=rngs)

    def __call__(self, x):
        return x + jax.nn.sigmoid(self.gate(x)) * self.value(x)

def make_gated(rngs):
    return Gated(rngs)
'''


def write_block(tmp_path, text=SMALL_BLOCK):
    block = tmp_path / "b.py"
    block.write_text(text)
    return block


def test_example_block_runs_end_to_end(tmp_path):
    block = tmp_path / "outside" / "glu_block.py"
    block.parent.mkdir()
    shutil.copy(EXAMPLE, block)
    out = tmp_path / "run"
    result = CliRunner().invoke(main, [
        "analyze", "--model", f"{block}:make_block", "--name", "glu", "--input-shape", "2,32",
        "--layers", "1,2", "--repeats", "1", "--variants", "scan,unroll,scan-unroll-2", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    raw = json.loads((out / "results.json").read_text())
    assert {p["model"] for p in raw["points"]} == {"glu"}
    assert all(p["status"] == "ok" for p in raw["points"])
    for p in raw["points"]:
        assert p["platform"] == "cpu"
        if p["variant"] == "scan":
            assert p["equivalence"] is None
        else:
            assert p["equivalence"]["ok"] and p["equivalence"]["against"] == "scan"
    assert raw["config"]["models"] == [f"{block}:make_block"]
    assert "--input-shape 2,32" in raw["command"] and "--name glu" in raw["command"]
    scan = sorted((p["layers"], p["hlo"]["pre"]["instructions"]) for p in raw["points"] if p["variant"] == "scan")
    unroll = sorted((p["layers"], p["hlo"]["pre"]["instructions"]) for p in raw["points"] if p["variant"] == "unroll")
    assert len({n for _, n in scan}) == 1  # one block, whatever L
    assert unroll[0][1] < unroll[1][1]


def test_factory_from_a_module(tmp_path, monkeypatch):
    package = tmp_path / "userpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "blocks.py").write_text(SMALL_BLOCK)
    monkeypatch.syspath_prepend(str(tmp_path))
    config = SweepConfig(models=("userpkg.blocks:make_gated",), input_shape=(3, 8))
    spec = resolve_model(config, "make_gated")
    assert spec.name == "make_gated" and spec.input_shape == (3, 8)
    assert validate_config(config) == []
    assert check_equivalence(spec, "unroll", 3)["ok"]
    sys.modules.pop("userpkg.blocks", None)
    sys.modules.pop("userpkg", None)


def test_name_defaults_to_the_factory(tmp_path):
    block = write_block(tmp_path)
    config = SweepConfig(models=(f"{block}:make_gated",), input_shape=(8,))
    assert config.model_names() == ("make_gated",)
    assert resolve_model(config, "make_gated").dtype == "float32"


def test_dtype_is_used(tmp_path):
    block = write_block(tmp_path, SMALL_BLOCK.replace("nnx.Linear(8, 8, rngs=rngs)", "nnx.Linear(8, 8, dtype=jnp.bfloat16, param_dtype=jnp.bfloat16, rngs=rngs)").replace("import jax\n", "import jax\nimport jax.numpy as jnp\n"))
    config = SweepConfig(models=(f"{block}:make_gated",), input_shape=(2, 8), dtype="bfloat16")
    spec = resolve_model(config, "make_gated")
    assert spec.make_input().dtype.name == "bfloat16"
    assert check_equivalence(spec, "unroll", 2)["ok"]


def test_input_shape_is_required(tmp_path):
    block = write_block(tmp_path)
    result = CliRunner().invoke(main, ["analyze", "--model", f"{block}:make_gated", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "--input-shape" in result.output


def test_bad_input_shape_option(tmp_path):
    result = CliRunner().invoke(main, ["analyze", "--input-shape", "4,x", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "4,x" in result.output


def test_loaded_factory_keeps_its_name(tmp_path):
    block = write_block(tmp_path)
    assert load_factory(f"{block}:make_gated").__name__ == "make_gated"
