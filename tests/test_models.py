"""Built-in models and variants: every variant computes what scan computes."""

import numpy as np
import pytest
from click.testing import CliRunner

from hloscope.cli import main
from hloscope.run.config import SweepConfig
from hloscope.run.equivalence import check_equivalence, compare_outputs
from hloscope.errors import UsageError
from hloscope.models import build_forward, builtin_model, parse_variant
from hloscope.run.checks import resolve_model, validate_config

TINY = {"features": 16, "heads": 2, "seq_len": 4, "batch": 2}


@pytest.mark.parametrize("model", ["linear", "mlp", "transformer", "stem-trunk-head"])
@pytest.mark.parametrize("variant", ["unroll", "unroll-sliced", "scan-unroll-2", "scan-remat"])
def test_every_variant_matches_scan(model, variant):
    spec = builtin_model(model, **TINY)
    record = check_equivalence(spec, variant, 3)
    assert record["ok"], record
    assert record["against"] == "scan" and record["tolerance"] > 0


def test_sizes_reach_the_transformer():
    spec = builtin_model("transformer", features=16, heads=2, seq_len=5, batch=3)
    assert spec.input_shape == (3, 5, 16)
    assert spec.sizes["heads"] == 2


def test_sizes_a_model_does_not_take_are_ignored():
    assert builtin_model("linear", features=8, heads=2, seq_len=3).input_shape == (1, 8)


def test_heads_must_divide_features():
    with pytest.raises(UsageError, match="divisible"):
        builtin_model("transformer", features=10, heads=4)


def test_stem_trunk_head_scans_only_the_trunk():
    import jax

    spec = builtin_model("stem-trunk-head", features=16)
    assert spec.input_shape == (1, 32)
    forward = build_forward(spec, "scan", 4, spec.make_input())
    out = jax.eval_shape(forward.fn, *forward.args)
    assert out.shape == (1, 8)
    text = jax.jit(forward.fn).trace(*forward.args).lower().as_text(dialect="hlo")
    from hloscope.hlo import summarize_hlo

    summary = summarize_hlo(text).to_json()
    assert summary["while_loops"] == 1
    # Two dots per MLP block in the body; stem and head outside it.
    assert summary["while_body_op_counts"]["dot"] == 2
    assert summary["op_counts"]["dot"] == 4


def test_parse_variant():
    assert parse_variant("scan").scanned
    assert not parse_variant("unroll").scanned
    assert parse_variant("scan-unroll-8").unroll == 8
    assert parse_variant("scan-remat").remat
    for bad in ("scan-unroll-0", "scan-unroll-x", "unrolled", "scan-unroll-"):
        with pytest.raises(UsageError, match="scan-unroll-K"):
            parse_variant(bad)


def test_unknown_variant_is_a_usage_error_before_any_folder(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["analyze", "--model", "linear", "--variants", "scan,bogus", "--out", str(out)])
    assert result.exit_code == 2
    assert "bogus" in result.output and "scan-remat" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_plan_names_models_and_resolves_them_again():
    config = SweepConfig(models=("mlp", "/x/blocks.py:make_glu"), name="glu", input_shape=(2, 8), layers=(1, 2))
    assert config.model_names() == ("mlp", "glu")
    assert config.plan()[0] == ("mlp", "forward", "scan", 1)
    assert config.model_source("glu") == "/x/blocks.py:make_glu"
    assert SweepConfig(models=("a.py:make_block",)).model_names() == ("make_block",)
    assert resolve_model(SweepConfig(features=8), "mlp").input_shape == (1, 8)


def test_validate_config_accepts_every_builtin():
    config = SweepConfig(models=("linear", "mlp", "transformer", "stem-trunk-head"), **TINY)
    assert validate_config(config) == []


def test_compare_outputs():
    a = np.linspace(-2, 2, 10, dtype=np.float32)
    assert compare_outputs(a, a.copy())["ok"]
    near = compare_outputs(a, a + 1e-6)
    assert near["ok"] and near["max_abs_diff"] > 0
    far = compare_outputs(a, a + 0.1)
    assert not far["ok"] and far["max_abs_diff"] == pytest.approx(0.1, rel=1e-3)
    nan = a.copy()
    nan[3] = np.nan
    assert not compare_outputs(a, nan)["ok"]
    assert compare_outputs(nan, nan.copy())["ok"]


def test_tolerance_scales_with_magnitude_and_dtype():
    import jax.numpy as jnp

    a = np.linspace(-2, 2, 10, dtype=np.float32)
    assert compare_outputs(a * 1000, a * 1000)["tolerance"] == pytest.approx(1000 * compare_outputs(a, a)["tolerance"])
    bf16 = jnp.asarray(a, dtype=jnp.bfloat16)
    assert compare_outputs(bf16, bf16)["tolerance"] > 10 * compare_outputs(a, a)["tolerance"]


def test_lowering_for_an_absent_platform_records_pre_optimization_only():
    from hloscope.run.measure import measure_point
    from hloscope.run.platform import local_platform

    other = "tpu" if local_platform() != "tpu" else "cpu"
    config = SweepConfig(models=("mlp",), features=8, platform=other, repeats=1)
    for variant in ("scan", "unroll"):
        p = measure_point(config, "mlp", variant, 2)
        assert p.ok, p.error
        assert p.extra["platform"] == other
        assert p.hlo["pre"]["instructions"] > 0
        assert "na" in p.hlo["opt"] and other in p.hlo["opt"]["na"]
        assert p.value("compile_s") is None and p.value("trace_s") is not None
        assert "na" in p.extra["cost"]
        assert other in p.extra["compile_phases"]["na"]
    assert "na" in p.extra["equivalence"]


def test_unknown_platform_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["analyze", "--platform", "quantum", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and not (tmp_path / "x").exists()


def test_checking_the_models_resolves_the_sizes_each_is_measured_at():
    """Options left to a model's defaults are None in the config; the check says what they resolve to."""
    from hloscope.run.checks import check_models

    checked = check_models(SweepConfig(models=("linear", "transformer", "stem-trunk-head"), features=16, heads=2))
    assert checked.sizes == {
        "linear": {"features": 16, "input_shape": [1, 16], "dtype": "float32"},
        "transformer": {"features": 16, "heads": 2, "seq_len": 64, "batch": 1, "input_shape": [1, 64, 16],
                        "dtype": "float32"},
        "stem-trunk-head": {"features": 16, "batch": 1, "in_features": 32, "out_features": 8,
                            "input_shape": [1, 32], "dtype": "float32"},
    }
    assert checked.warnings == ()
