"""Where compile time goes: the phases of one extra compile, from XLA's profiler events."""

import pytest

from hloscope.models import build_forward, builtin_model
from hloscope.run.lowering import compile_phases_of, lower_cold
from hloscope.run.phases import TraceEvent, phases_from_events

MS = 1_000_000  # ns


def event(label, start_ms, end_ms, **stats):
    return TraceEvent(label, start_ms * MS, end_ms * MS, "compiler", stats)


def pipeline(label, start_ms, end_ms, module="jit_f"):
    return event(f"{label} ({module})", start_ms, end_ms, module=module)


# A compile of jit_f as XLA's CPU compiler records it: a pipeline with a plain
# pass, invariant checkers and a fixed-point pass around a nested pipeline; an
# autotuning module's pipeline on the same thread; the backend, which runs one
# more pipeline and compiles 3 functions.
EVENTS = [
    pipeline("before layout", 0, 10),
    event("algsimp", 1, 3),
    event("RunInvariantCheckers", 2, 3),
    event("simplification", 3, 9),
    pipeline("simplification", 3, 5),
    event("dce", 3, 4),
    pipeline("simplification", 5, 9),
    event("dce", 5, 6),
    event("autotuner", 6, 9),
    pipeline("autotune", 6, 8, module="jit_other"),
    event("algsimp", 6, 7),
    event("CpuCompiler::RunBackend", 10, 40, name="jit_f"),
    pipeline("after scheduling", 11, 13),
    event("copy-insertion", 11, 13),
    event("Codegen", 20, 39, num_compiled_functions=3),
]


def test_phases_split_pipelines_from_the_backend_and_list_leaf_passes():
    phases = phases_from_events(EVENTS, "jit_f", "cpu", compile_s=0.045)
    # The outermost pipelines, wherever they ran: 10 ms before the backend, 2 ms in it.
    assert phases["hlo_passes_s"] == pytest.approx(0.012)
    assert phases["backend_s"] == pytest.approx(0.030 - 0.002)
    assert phases["kernels"] == 3 and phases["compile_s"] == 0.045
    passes = {p["name"]: (p["s"], p["runs"]) for p in phases["passes"]}
    # A pass holding a pipeline is not a leaf; another module's passes are not this one's.
    assert passes == {
        "algsimp": (pytest.approx(0.002), 1),
        "dce": (pytest.approx(0.002), 2),
        "autotuner": (pytest.approx(0.003), 1),
        "copy-insertion": (pytest.approx(0.002), 1),
    }
    assert [p["name"] for p in phases["passes"]][0] == "autotuner"
    assert "CpuCompiler::RunBackend" in phases["source"]


def test_without_a_known_backend_event_the_backend_is_the_rest_of_the_compile():
    phases = phases_from_events(EVENTS, "jit_f", "gpu", compile_s=0.045)
    assert phases["backend_s"] == pytest.approx(0.045 - 0.012)
    assert phases["kernels"] is None
    assert "gpu has no backend event" in phases["source"]


def test_a_profile_without_the_module_says_why():
    phases = phases_from_events(EVENTS, "jit_g", "cpu", compile_s=0.045)
    assert set(phases) == {"na"} and "jit_g" in phases["na"]


def test_a_real_compile_is_split_into_named_passes_and_generated_kernels():
    spec = builtin_model("linear", 16)
    x = spec.make_input()
    lowering = lower_cold(lambda: build_forward(spec, "unroll", 4, x, 0), 1, run=False)
    phases = lowering.compile_phases
    assert phases["hlo_passes_s"] > 0 and phases["backend_s"] > 0
    # Nested inside the compile they describe, so never more than it.
    assert phases["hlo_passes_s"] + phases["backend_s"] <= phases["compile_s"]
    assert len(phases["passes"]) >= 5 and {"fusion", "layout-assignment"} <= {p["name"] for p in phases["passes"]}
    assert all(p["runs"] >= 1 for p in phases["passes"])
    assert phases["kernels"] >= 4  # at least one kernel per unrolled layer
    # The profiler was stopped: a second collection starts its own session.
    again = compile_phases_of(build_forward(spec, "unroll", 4, x, 0))
    assert "na" not in again and again["kernels"] == phases["kernels"]


def test_phase_times_are_fitted_as_timings_and_each_pass_gets_a_fit():
    from hloscope.results import Point
    from hloscope.results.growth import fit_growth
    from hloscope.results.phases import model_phases

    def point(layers):
        # Exactly a + b*L: an exact figure would fit exponent 1 above L=2; a timing fits log-log.
        phases = {"hlo_passes_s": 0.01 + 0.001 * layers, "backend_s": 0.5 + 0.1 * layers, "kernels": layers + 1,
                  "compile_s": 0.52 + 0.101 * layers, "source": "test",
                  "passes": [{"name": "fusion", "s": 0.001 * layers, "runs": 1}, {"name": "dce", "s": 0.002, "runs": 2}]}
        return Point("m", "unroll", layers, "ok", extra={"compile_phases": phases})

    points = [point(L) for L in (2, 4, 8, 16, 32)]
    fits = {g.metric: g for g in fit_growth(points)}
    backend = fits["compile_phases.backend_s"]
    assert backend.base_layers is None and backend.fit_layers == (2, 4, 8, 16, 32)
    assert 0.5 < backend.exponent < 1
    phases = model_phases("m", points, None, "unroll")
    fusion = next(s for s in phases.passes if s.name == "fusion")
    assert fusion.growth.order == "O(L)" and fusion.growth.exponent == pytest.approx(1.0)
    assert [s.name for s in phases.fastest_growing()] == ["fusion"]
    assert phases.sentence.startswith("99% of m unroll's compile at L=32 is code generation of 33 kernels")


def test_when_one_phase_shrinks_the_sentence_gives_signed_changes_not_shares_over_100_percent():
    from hloscope.results import Point
    from hloscope.results.phases import model_phases

    def point(layers, hlo_passes_s, backend_s):
        phases = {"hlo_passes_s": hlo_passes_s, "backend_s": backend_s, "kernels": 5, "source": "test",
                  "compile_s": hlo_passes_s + backend_s, "passes": [{"name": "fusion", "s": hlo_passes_s, "runs": 1}]}
        return Point("m", "unroll", layers, "ok", extra={"compile_phases": phases})

    # HLO passes +20 ms, backend -10 ms: 20 / 10 would read "200% is HLO passes".
    sentence = model_phases("m", [point(2, 0.010, 0.100), point(8, 0.030, 0.090)], None, "unroll").sentence
    assert "%" not in sentence.split(";")[-1]
    assert "from L=2 HLO passes changed by +20.0 ms and the backend by -10.0 ms" in sentence
