"""One point's cold lowering in this process: analyses, runtime, checks (tiny model)."""

import signal

import pytest

from hloscope.run import lowering
from hloscope.models import build_forward, builtin_model
from hloscope.run.worker import death_reason


def tiny_build(variant="unroll", layers=2):
    spec = builtin_model("linear", 16)
    x = spec.make_input()
    return lambda: build_forward(spec, variant, layers, x, 0)


def test_lowering_reads_memory_cost_peak_rss_and_runtime():
    result = lowering.lower_cold(tiny_build(), 2)
    assert len(result.compile_s) == 2 and all(s > 0 for s in result.compile_s)
    assert set(result.memory) == {"argument_bytes", "output_bytes", "temp_bytes", "generated_code_bytes", "alias_bytes"}
    assert result.memory["argument_bytes"] > 0
    assert result.cost["flops"] > 0 and "bytes_accessed" in result.cost
    assert result.peak_rss_bytes > 0
    assert len(result.runtime_s) == lowering.RUNTIME_RUNS and all(s > 0 for s in result.runtime_s)
    assert result.output is not None
    assert result.repeats_requested == 2 and not result.warnings


def test_a_repeat_without_a_backend_compile_fails(monkeypatch):
    monkeypatch.setattr(lowering, "COMPILE_EVENT", "/no/such/event")
    with pytest.raises(lowering.NotCompiledError, match="repeat 1 did not run the backend compiler"):
        lowering.lower_cold(tiny_build(), 1)


def test_a_slow_point_stops_at_two_repeats_and_says_so(monkeypatch):
    monkeypatch.setattr(lowering, "SLOW_REPEAT_S", 0.0)
    result = lowering.lower_cold(tiny_build(), 3, run=False)
    assert len(result.compile_s) == 2 and result.repeats_requested == 3
    assert any("2 of 3 cold repeats" in w for w in result.warnings)
    assert result.pre_text and result.opt_text
    assert result.runtime_s == ()


def test_analyses_report_what_the_backend_does_not_give():
    class NoAnalyses:
        def memory_analysis(self):
            return None

        def cost_analysis(self):
            raise NotImplementedError("not here")

    assert "na" in lowering.memory_of(NoAnalyses())
    assert "not here" in lowering.cost_of(NoAnalyses())["na"]


def test_death_reasons_name_the_signal_or_status():
    assert "SIGSEGV" in death_reason(-signal.SIGSEGV)
    assert "out-of-memory" in death_reason(-signal.SIGKILL)
    assert "status 3" in death_reason(3)
