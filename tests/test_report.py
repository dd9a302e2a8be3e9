"""The HTML, Markdown and JSON reports, from fixed synthetic results.

The fixtures under tests/golden/ are built by ``synthetic_results`` below;
set HLOSCOPE_UPDATE_GOLDENS=1 to rewrite them and the golden HTML.
"""

from __future__ import annotations

import json
import os
import re
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from hloscope.results.analysis import analyze_run
from hloscope.cli import main
from hloscope.report import render_html, render_markdown
from hloscope.results import load_results, results_from_json

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("HLOSCOPE_UPDATE_GOLDENS") == "1"
LAYERS = (1, 2, 4, 8)


def _stats(value: float, spread: float = 1.05) -> dict:
    samples = [round(value, 6), round(value * spread, 6), round(value / spread, 6)]
    return {"median": round(value, 6), "min": min(samples), "max": max(samples), "samples": samples}


# One scanned layer: its arithmetic, one add more for the loop counter, and the bookkeeping of a while body.
SCAN_BODY = {"parameter": 1, "dot": 1, "add": 2, "maximum": 1, "broadcast": 1, "dynamic-slice": 2,
             "get-tuple-element": 4, "tuple": 1}


def _hlo(instructions: int, layers: int, variant: str, separate_modules: bool) -> dict:
    """A summary shaped like XLA's: separate modules pass each layer's kernel and bias as parameters,
    a sliced stack slices both out of the stacked arrays, a scan holds one layer in its while body."""
    scanned = variant == "scan"
    if scanned:
        ops = {**SCAN_BODY, "parameter": 4, "constant": 2, "while": 1, "tuple": 2, "get-tuple-element": 6, "compare": 1}
        weighted = {op: n + (layers - 1) * SCAN_BODY.get(op, 0) for op, n in ops.items()}
    else:
        ops = {"dot": layers, "add": layers, "maximum": layers, "broadcast": layers, "constant": 1}
        if variant == "unroll" and separate_modules:
            ops["parameter"] = 2 * layers + 1
        else:
            ops.update({"parameter": 3, "slice": 2 * layers})
        weighted = dict(ops)
    summary = {"instructions": instructions, "computations": 4 if scanned else 2,
               "while_loops": 1 if scanned else 0, "bytes": instructions * 90, "op_counts": ops,
               "fusions": 0, "max_loop_depth": 1 if scanned else 0, "trip_counts": [layers] if scanned else [],
               "weighted_op_counts": weighted}
    if scanned:
        summary["while_body_op_counts"] = dict(SCAN_BODY)
    summary["flops"] = {"dot_flops": 512 * layers, "conv_flops": 0, "elementwise_flops": 32 * layers,
                        "total_flops": 544 * layers}
    # The unrolled stack is L copies of its 4-instruction layer.
    summary["repeated_blocks"] = [] if scanned or layers < 2 else [
        {"computation": "main", "count": layers, "instructions": 4, "fraction": 0.9, "first": "dot.0",
         "last": "maximum.0", "chained": True, "layers": True, "computation_instructions": instructions}]
    return summary


def _phases(variant: str, layers: int, compile_s: float, regressed: bool) -> dict:
    """Compile phases shaped like XLA's on CPU: the backend generates a kernel per unrolled layer and
    takes nearly all of the compile; in a regressed run unroll's fusion pass got 4x slower."""
    scanned = variant == "scan"
    per_layer = 0 if scanned else layers
    fusion = (0.0002 if scanned else 0.001 * layers) * (4 if regressed and variant == "unroll" else 1)
    passes = {"fusion": (fusion, 1), "algsimp": (0.0003 + 0.0003 * per_layer, 3),
              "layout-assignment": (0.0001 + 0.00005 * per_layer, 1), "copy-insertion": (0.00015, 1),
              "dce": (0.00002 + 0.00002 * per_layer, 4)}
    hlo_passes_s = round(0.001 + sum(s for s, _ in passes.values()), 6)
    return {"hlo_passes_s": hlo_passes_s, "backend_s": round(compile_s - hlo_passes_s - 0.001, 6),
            "passes": [{"name": name, "s": round(s, 6), "runs": runs}
                       for name, (s, runs) in sorted(passes.items(), key=lambda item: -item[1][0])],
            "kernels": 3 if scanned else (2 if variant == "unroll" else 3) * layers + 2,
            "compile_s": round(compile_s, 6), "source": "jax.profiler: synthetic"}


def synthetic_results(regressed: bool = False, model: str = "linear", construction: str | None = "separate-modules") -> dict:
    """A results.json record with every section filled; ``regressed`` makes scan grow with L.

    ``construction`` is the recorded ``unroll_construction``; with None the
    record is one made before it was recorded (unroll sliced the stack, no
    unroll-sliced points, no entry parameter counts).
    """
    variants = ("scan", "unroll", "unroll-sliced") if construction else ("scan", "unroll")
    points = []
    for variant in variants:
        for L in LAYERS:
            scanned = variant == "scan"
            grows = not scanned or regressed
            compile_s = (0.06 if variant == "unroll-sliced" else 0.02) * L if grows else 0.05 + 0.001 * (L % 3)
            instructions = 12 + (11 if variant == "unroll-sliced" else 9) * L if grows else 30
            noisy = 1.8 if (variant, L) == ("unroll", 4) else 1.05
            points.append({
                "model": model, "variant": variant, "layers": L, "status": "ok", "error": None,
                "timing": {"trace_s": _stats(0.004 * (L if not scanned else 1) + 0.003),
                           "lower_s": _stats(0.002 * (L if not scanned else 1) + 0.002),
                           "compile_s": _stats(compile_s, noisy), "analysis_s": 0.0005},
                "hlo": {"pre": _hlo(instructions, L, variant, bool(construction)),
                        "opt": _hlo(instructions - 4, L, variant, bool(construction))},
                "memory": {"argument_bytes": 1088 * L, "output_bytes": 64, "temp_bytes": 256 if scanned else 128,
                           "generated_code_bytes": 4000 + (0 if scanned else 900 * L), "alias_bytes": 0},
                # XLA's cost analysis counts a while body once: one layer's FLOPs for scan.
                # ... and so its bytes accessed: below the L layers' arguments the scan reads.
                "cost": {"na": "the CPU backend gave no cost analysis"} if L == 1 else
                        {"flops": 544.0 * (1 if scanned else L), "bytes_accessed": 1100.0 if scanned else 4352.0 * L,
                         "transcendentals": 0.0},
                "peak_rss_bytes": 300_000_000 + L * 1_000_000,
                "runtime_s": _stats(0.00002 * L + 0.00001),
                "equivalence": None if scanned else {"max_abs_diff": 0.0, "ok": True, "tolerance": 1e-5, "against": "scan"},
                "warnings": ["2 of 3 cold repeats: the first took 9.1 s (over 8 s, so a slow point stops at 2)"]
                            if (variant, L) == ("unroll", 8) else [],
                "repeats": {"requested": 3, "done": 2 if (variant, L) == ("unroll", 8) else 3},
                "platform": "cpu",
                "compile_phases": _phases(variant, L, compile_s, regressed),
            })
            if construction:
                # A Linear layer holds a kernel and a bias; separate modules pass both per layer, plus x.
                points[-1]["hlo"]["pre"]["entry_parameters"] = 2 * L + 1 if variant == "unroll" else 3
                points[-1]["arrays_per_layer"] = 2
    points.append({"model": model, "variant": "unroll", "layers": 16, "status": "timeout",
                   "error": "compile exceeded --timeout 60 s", "timing": {}, "hlo": {}})
    config = {"models": [model], "variants": list(variants), "layers": [1, 2, 4, 8, 16],
              "features": 16, "repeats": 3, "seed": 0, "predict_layers": [64]}
    if construction:
        config["unroll_construction"] = construction
        # The sizes the worker resolved the model to (runs made before they were recorded have none).
        config["sizes"] = {model: {"features": 16, "input_shape": [1, 16], "dtype": "float32"}}
    return {
        "format": "hloscope.results", "version": 1, "created": "2026-01-02T03:04:05+00:00",
        # Runs made before the command left out --out named their folder in it.
        "command": f"hloscope analyze --model {model} --layers 1,2,4,8,16 --features 16 --repeats 3"
                   + (" --variants scan,unroll,unroll-sliced" if construction else " --out reports/x"),
        "environment": {"python": "3.11.2", "jax": "0.10.2" if not regressed else "0.11.0", "jaxlib": "0.10.2",
                        "flax": "0.12.8", "hloscope": "0.1.0", "backend": "cpu", "device": "cpu", "device_count": 1,
                        "cpu": "Example CPU @ 2.0GHz", "cpu_count": 2, "platform": "Linux-x86_64",
                        "xla_flags": "" if not regressed else "--xla_cpu_enable_fast_math=false"},
        "config": config,
        "points": points,
        "warnings": ["example pitfall: parameter 'kernel' is identical in every layer (built without split_rngs)"],
    }


def two_model_results() -> dict:
    """The default run's shape: linear and transformer, each with its sizes."""
    record = synthetic_results()
    other = synthetic_results(model="transformer")
    record["points"] += other["points"]
    record["config"]["models"] = ["linear", "transformer"]
    record["config"]["sizes"]["transformer"] = {"features": 256, "heads": 4, "seq_len": 64, "batch": 1,
                                                "input_shape": [1, 64, 256], "dtype": "float32"}
    return record


def _fixture(name: str, record: dict) -> Path:
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def healthy_path() -> Path:
    return _fixture("results_healthy.json", synthetic_results())


def regressed_path() -> Path:
    return _fixture("results_regressed.json", synthetic_results(regressed=True))


def sliced_path() -> Path:
    """A run made before unroll_construction was recorded: its unroll sliced the stack."""
    return _fixture("results_sliced_unroll.json", synthetic_results(construction=None))


def scrub(html: str) -> str:
    """Blank what changes between runs and releases: timestamps and versions."""
    html = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)?", "TIMESTAMP", html)
    html = re.sub(r"(Rendered by hloscope )\S+\.", r"\1VERSION.", html)
    html = re.sub(r"(<th>(python|jax|jaxlib|flax|hloscope)</th><td><code>)[^<]*", r"\1VERSION", html)
    return html


def test_fixtures_match_their_builder():
    assert json.loads(healthy_path().read_text()) == synthetic_results()
    assert json.loads(regressed_path().read_text()) == synthetic_results(regressed=True)
    assert json.loads(sliced_path().read_text()) == synthetic_results(construction=None)


def test_html_matches_golden():
    html = scrub(render_html(analyze_run(load_results(healthy_path()))))
    golden = GOLDEN / "report.html"
    if UPDATE:
        golden.write_text(html)
    assert html == golden.read_text(), "report changed; rerun with HLOSCOPE_UPDATE_GOLDENS=1 and review the diff"


def test_html_answers_the_reviewer():
    html = unescape(render_html(analyze_run(load_results(healthy_path()))))
    top = html.split('<h2 id="warnings">')[0]
    # The headline once, with figures from the run at L=8: end to end 0.213 s / 0.063 s, backend 0.16 s / 0.052 s.
    assert top.count('<tr class="headline">') == 1 and html.count('<tr class="headline">') == 1
    assert "features 16, x float32[1,16]" in top and "compile time O(1) vs O(L)" in top
    assert '<span class="ratio">3.4x faster</span><span class="sub">63.0 ms vs 213.0 ms</span>' in top
    assert '<span class="ratio">3.1x faster</span><span class="sub">52.0 ms vs 160.0 ms</span>' in top
    assert "scan across L: 51.0 ms (L=1) to 52.0 ms (L=2)" in top
    assert "2 cores" in top and "jax 0.10.2" in top and "Example CPU @ 2.0GHz" in top
    assert html.count("<svg") >= 8 and 'class="fit"' in html and 'class="range"' in html
    assert "timeout" in html and "compile exceeded --timeout 60 s" in html
    assert ("linear: repeats differ by more than 1.5x (slowest / fastest) in compile_s at 1 of 12 points (worst 3.2x,"
            " unroll L=4). The headline's timings are clean: trace_s, lower_s, compile_s, runtime_s of scan and unroll"
            " at L=8.") in html.split('id="notes"')[1]
    assert "example pitfall" in html
    assert "scan × trip counts" in html and "trip counts 8" in html
    assert "the CPU backend gave no cost analysis" in html
    assert "(predicted)" in html and "hollow = predicted" in html
    assert ("each layer executes 1 add, 1 dot, 1 maximum - the scanned body holds the same arithmetic"
            " (plus its loop counter); only bookkeeping differs: slicing, tuples, parameters") in html
    assert '<span class="tag tag-repeats">repeats</span> linear unroll L=8: 2 of 3 cold repeats' in html
    assert 'ok<span class="sub">2 of 3 repeats</span>' in html
    assert "hloscope analyze --model linear" in html
    assert ("Repeated layers in the HLO before optimization:</strong>\nscan, L = 8: no repeated layers: the block"
            " sits in a while loop, not once per layer; unroll, L = 8: 8 copies of a 4-instruction block in main,"
            " one per layer; unroll-sliced, L = 8: 8 copies of a 4-instruction block in main, one per layer.") in html
    # From the fixture's phases at L=8 and L=2: the backend takes 146.5 of 160 ms, HLO passes 12.5 ms.
    assert ("92% of linear unroll's compile at L=8 is code generation of 18 kernels and 8% HLO passes; "
            "scan generates 3; of the 120.0 ms it gains from L=2, 93% is code generation, and the pass that "
            "grows most is fusion (+6.0 ms).") in unescape(html)
    assert "Where compile time goes: HLO passes and backend" in html and "<h4>Slowest passes</h4>" in html
    assert len(html.encode()) < 1_000_000


def test_report_says_what_unroll_was_and_shows_unroll_sliced_beside_it():
    html = unescape(render_html(analyze_run(load_results(healthy_path()))))
    verdicts = html.split('id="model-1"')[1].split("How each figure grows")[0]
    assert ("unroll: L separate modules, the way an unrolled model is written; at L=8 its pre-optimization HLO "
            "entry takes 17 parameters (2 arrays per layer).") in verdicts
    # 0.48 s / 0.16 s and 0.48 s / 0.052 s at L=8, from the points.
    assert ("unroll-sliced, beside it: a Python loop slicing layer i out of the stacked parameters inside the "
            "jitted forward. At L=8 it compiles in 480.0 ms, 3.0x unroll's 160.0 ms and 9.2x scan's 52.0 ms.") in verdicts
    assert "<th>unroll</th><th>unroll-sliced</th>" in html  # the op histogram shows it beside unroll
    markdown = render_markdown(analyze_run(load_results(healthy_path())))
    assert "- linear: unroll: L separate modules, the way an unrolled model is written" in markdown
    assert "- linear: unroll-sliced, beside it:" in markdown


def test_a_run_made_before_separate_modules_says_its_unroll_sliced_the_stack():
    results = load_results(sliced_path())
    html = unescape(render_html(analyze_run(results)))
    assert ("unroll: a Python loop slicing layer i out of the stacked parameters inside the jitted forward "
            "(this run records no unroll_construction") in html
    assert "unroll-sliced, beside it" not in html and "entry takes" not in html
    assert "records no unroll_construction" in render_markdown(analyze_run(results))


def test_terminal_summary_names_the_baseline():
    from hloscope.report.terminal import summary_table

    text = summary_table(analyze_run(load_results(healthy_path())))
    assert "linear       unroll-sliced    8 ok" in text
    assert "\n  unroll: L separate modules, the way an unrolled model is written" in text
    assert "\n  unroll-sliced, beside it:" in text
    assert "\n  Where compile time goes: 92% of linear unroll's compile at L=8" in text


def _row(html: str, first_cell: str) -> str:
    match = re.search(r"<tr[^>]*>(?:(?!</tr>).)*" + re.escape(first_cell) + r"(?:(?!</tr>).)*</tr>", html, re.S)
    assert match, first_cell
    return match.group(0)


def test_per_layer_table_judges_executed_arithmetic_and_labels_bookkeeping():
    html = unescape(render_html(analyze_run(load_results(healthy_path()))).split("What one layer costs")[1])
    assert 'class="good">same + loop counter<' in _row(html, "<code>add</code>")
    slicing = _row(html, "<code>dynamic-slice</code>")
    assert "bookkeeping" in slicing and 'class="bad"' not in slicing and ">no<" not in slicing
    assert 'class="bad"' not in html
    assert "Fitted from the unrolled pre-optimization op counts at L = 2, 4, 8; the scanned body is the scan point's at L = 8." in html
    for raw_key in ("fitted_from", "scan_body_from", "work_matches", "differs", "executed_per_layer"):
        assert f"<code>{raw_key}" not in html and f"{raw_key}</" not in html
    assert "True" not in html.split("Predictions")[0]
    assert "Did XLA keep the scan's while loop? scan: XLA kept its while loop after optimization at L = 1, 2, 4, 8." in html


def test_per_layer_table_flags_arithmetic_that_differs():
    record = synthetic_results()
    for p in record["points"]:
        if p["variant"] == "scan":  # a scanned body that does two dots per layer where unrolled does one
            for summary in p["hlo"].values():
                summary["while_body_op_counts"]["dot"] = 2
                summary["weighted_op_counts"]["dot"] = 2 * p["layers"]
    html = unescape(render_html(analyze_run(results_from_json(record))).split("What one layer costs")[1])
    assert 'class="bad">differs<' in _row(html, "<code>dot</code>")
    assert "the scanned body's arithmetic differs in dot" in html


def test_flops_disagreement_is_flagged_in_the_table_and_warnings():
    html = unescape(render_html(analyze_run(load_results(healthy_path()))))
    assert ("linear scan: XLA's cost analysis counts 544 FLOPs at L=8 where the HLO executes 4.352 k "
            "(trip-count weighted): it counts the while body once; 3 of 3 points disagree") in html
    measure = html.split("Memory, cost and runtime")[1].split("What one layer costs")[0]
    scan_rows = re.findall(r"<tr class=\"flagged\"><td>scan</td><td class=\"num\">(\d+)</td>", measure)
    assert scan_rows == ["2", "4", "8"]
    assert "<td>unroll</td>" in measure and 'class="flagged"><td>unroll' not in measure
    assert "544 ≠" in measure and "marks a figure of XLA's cost analysis" in measure
    # L = 1 has no XLA figure: n/a with its reason, no flag.
    assert "the CPU backend gave no cost analysis" in _row(measure, '<td>scan</td><td class="num">1</td>')


def test_html_says_na_for_what_an_old_run_lacks():
    record = synthetic_results()
    for p in record["points"]:
        for key in ("memory", "cost", "peak_rss_bytes", "runtime_s", "equivalence", "warnings", "platform",
                    "compile_phases"):
            p.pop(key, None)
        for stage in p["hlo"].values():
            for key in ("fusions", "max_loop_depth", "trip_counts", "weighted_op_counts", "flops"):
                stage.pop(key, None)
            stage.pop("repeated_blocks", None)
    record.pop("warnings")
    html = render_html(analyze_run(results_from_json(record)))
    assert "Repeated layers in the HLO before optimization:</strong>\nn/a: not recorded in this results file." in html
    assert "trip counts n/a: not recorded in this results file" in html
    assert "n/a: memory: not recorded in this results file" in html
    assert "n/a: this run recorded no compile phases" in html


def test_what_a_results_file_stores_as_derived_is_derived_again():
    """growth, per-layer costs and predictions in a file are for outside readers: the points decide."""
    record = synthetic_results()
    stale = dict(record)
    stale["growth"] = [{"model": "linear", "variant": "scan", "metric": "compile_s", "order": "O(L^3.0)", "exponent": 3.0}]
    stale["per_layer"] = {"linear": {"layers": [2], "opcodes": {"dot": {"per_layer": 99}}}}
    stale["predictions"] = [{"model": "linear", "variant": "unroll", "metric": "compile_s", "layers": 64,
                             "value": 1234.0, "low": 1.0, "high": 2.0, "predicted": True}]
    assert render_html(analyze_run(results_from_json(stale))) == render_html(analyze_run(results_from_json(record)))
    analysis = analyze_run(results_from_json(stale))
    assert all(q.value != 1234.0 for q in analysis.predictions) and analysis.model("linear").per_layer["layers"] == [2, 4, 8]


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_untrusted_strings_are_inert(hostile):
    record = synthetic_results(model=hostile)
    record["points"][0]["hlo"]["pre"]["op_counts"][hostile] = 99
    record["points"][-1]["error"] = hostile
    record["environment"]["xla_flags"] = hostile
    html = render_html(analyze_run(results_from_json(record)))
    assert hostile not in html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&#34;&gt;&lt;img" in html


def test_markdown_summary():
    text = render_markdown(analyze_run(load_results(healthy_path())))
    assert text.startswith("## hloscope")
    assert "jax 0.10.2" in text and "2 cores" in text
    assert ("| linear | features 16, x float32[1,16] | 8 | scan vs unroll | 3.4x faster (63.0 ms vs 213.0 ms); "
            "scan across L: 62.0 ms (L=1) to 63.0 ms (L=2) | 3.1x faster (52.0 ms vs 160.0 ms)") in text
    # Plain cells: order, exponent and interval apart.
    assert "| linear | scan | compile_s | O(1) | 0.00 | -0.21 to 0.21 | 2, 4, 8 | as expected | 52.0 ms (L=8) |" in text
    assert "Warnings that affect a verdict (2):\n- pitfall: example pitfall" in text and "timeout" in text
    assert "noisy" not in text and "FLOPs" not in text  # notes stay in the HTML report
    assert "```\nmake install && . .venv/bin/activate && python -m pip install jax==0.10.2" in text
    assert "- linear: where compile time goes: 92% of linear unroll's compile at L=8 is code generation of 18 kernels" in text


def test_report_cli_formats(tmp_path):
    runner = CliRunner()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "results.json").write_text(healthy_path().read_text())
    for fmt in ("html", "md", "json"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(main, ["report", str(run_dir), "--out", str(out), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert out.exists()
    data = json.loads((tmp_path / "report.json").read_text())
    orders = {(g["variant"], g["metric"]): g["order"] for g in data["growth"]}
    assert orders[("scan", "compile_s")] == "O(1)" and orders[("unroll", "hlo.pre.instructions")] == "O(L)"
    assert "<svg" in (tmp_path / "report.html").read_text()


def test_report_cli_rejects_bad_input(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(main, ["report", str(bad), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "not JSON" in result.output
    assert not (tmp_path / "r.html").exists()


def test_headline_histogram_per_layer_and_flops_compare_the_same_pair():
    """A run of scan-remat against unroll: every section takes the one comparison pair."""
    from hloscope.report.headline import headline_rows, headline_sentence
    from hloscope.report.sections import op_histogram

    record = synthetic_results()
    record["points"] = [dict(p, variant="scan-remat") if p["variant"] == "scan" else p
                        for p in record["points"] if p["variant"] != "unroll-sliced"]
    analysis = analyze_run(results_from_json(record))
    model = analysis.model("linear")
    assert (model.scanned, model.unrolled) == ("scan-remat", "unroll")
    assert (model.headlines[0].scanned, model.headlines[0].unrolled) == ("scan-remat", "unroll")
    assert ", L = 8, scan-remat vs unroll: end to end" in headline_sentence(headline_rows(analysis)[0])
    assert model.per_layer["scan_body_from"] == {"variant": "scan-remat", "layers": 8}
    assert model.per_layer["work_matches"] is True
    assert op_histogram(model).columns[0] == "scan-remat" and op_histogram(model).columns[-1] == "unroll"
    assert {pair["variant"] for pair in model.flops["scan_vs_unroll"]} == {"scan-remat"}


def test_charts_and_tables_speak_in_units_and_judge_orders_against_the_variant():
    html = unescape(render_html(analyze_run(load_results(healthy_path()))))
    # Axes and hover text in the tables' units: no raw seconds, no exponent notation.
    charts = "".join(re.findall(r"<figure>.*?</figure>", html, re.S))
    assert re.search(r"\de[+-]\d", charts) is None and "seconds against" not in charts
    assert '<text class="unit" x="4" y="14" text-anchor="start">ms</text>' in html
    assert "scan, L=8: Backend compile time 52.0 ms (median of 3; min 49.5 ms, max 54.6 ms)" in html
    # Min-max bars for timings.
    assert html.count('<line class="range"') >= 12
    # The order rule is on the page, and a borderline fit says so.
    assert "Order from the log-log exponent: below 0.5 O(1)" in html
    assert "borderline: its 95% interval 0.39 to 1.20 spans O(1) and O(L)" in html
    growth = html.split('<table class="growth">')[1].split("</table>")[0]
    assert 'class="tone-expected">O(L)<' in _row(growth, "<td>unroll</td><td><code>compile_s</code>")
    # Peak RSS: charted, but no order given, and the page says why.
    rss = _row(growth, "<td>scan</td><td><code>peak_rss_bytes</code>")
    assert 'class="tone-neutral">not judged<' in rss and "worker holds before the point" in rss
    assert "No growth order: it includes what the worker holds before the point" in html
    # HLO text size grows as the instruction counts do: not charted twice.
    assert "<figcaption>HLO text size" not in html
    assert "Not charted: HLO text size before optimization: grows as the instruction counts do" in html


def test_growth_rows_name_the_layers_each_fit_used():
    from hloscope.report.view import growth_row
    from hloscope.results.growth import Growth

    exact = Growth("m", "unroll", "hlo.pre.instructions", "O(L)", 1.0, (1, 2, 4, 8, 16, 32), (1, 2, 3, 4, 5, 6),
                   0.98, 1.02, fit_layers=(8, 16, 32), base_layers=2)
    timing = Growth("m", "unroll", "compile_s", "O(L)", 1.0, (1, 2, 4, 8, 16, 32), (1, 2, 3, 4, 5, 6),
                    0.9, 1.1, fit_layers=(2, 4, 8, 16, 32))
    assert growth_row(exact).fitted == "8, 16, 32 (growth above L = 2)"
    assert growth_row(timing).fitted == "2, 4, 8, 16, 32"
    assert (growth_row(timing).order, growth_row(timing).exponent, growth_row(timing).interval) == ("O(L)", "1.00", "0.90 to 1.10")
    # A borderline verdict gives its reason once; an expected order that is borderline says so in its note.
    wide = Growth("m", "unroll", "compile_s", "O(1)", 0.1, (1, 2, 4, 8), (1, 2, 3, 4), -1.2, 1.4, fit_layers=(2, 4, 8))
    assert (growth_row(wide).verdict, growth_row(wide).note) == (
        "borderline", "unroll should give O(L); its 95% interval -1.20 to 1.40 spans O(1), O(L) and steeper than O(L)")
    scan = Growth("m", "scan", "compile_s", "O(1)", 0.1, (1, 2, 4, 8), (1, 2, 3, 4), -1.2, 1.4, fit_layers=(2, 4, 8))
    assert (growth_row(scan).verdict, growth_row(scan).note) == (
        "as expected", "borderline: its 95% interval -1.20 to 1.40 spans O(1), O(L) and steeper than O(L)")


def test_a_column_that_is_zero_everywhere_is_left_out_and_said():
    record = synthetic_results()
    for p in record["points"]:
        if isinstance(p.get("memory"), dict):
            p["memory"]["generated_code_bytes"] = 0
    html = unescape(render_html(analyze_run(results_from_json(record))))
    measure = html.split("Memory, cost and runtime")[1].split("What one layer costs")[0]
    assert '<th class="num">code</th>' not in measure
    assert "code: 0 at every point that recorded it (column left out)" in measure
    assert '<th class="num">temp</th>' in measure


def test_sizes_name_every_array_of_the_example_call_or_say_they_were_not_recorded():
    from hloscope.report.headline import sizes_text

    config = {"features": 32, "sizes": {"block": {"inputs": "b.py:make_inputs", "input_shape": [2, 8, 16],
                                                  "dtype": "float32", "extra_inputs": ["bool[1,1,8,8]", "float32[2,8]"]}}}
    assert sizes_text("block", config) == "x float32[2,8,16], with bool[1,1,8,8], float32[2,8]"
    assert sizes_text("linear", {"features": 32}) == "sizes not recorded (options given: features 32)"


def test_a_ratio_near_one_keeps_the_decimal_that_tells_its_direction():
    from hloscope.report.headline import _faster

    assert [_faster(r) for r in (1.008, 1 / 1.03, 1.0001, 3.42, 0.5, None)] == [
        "1.01x faster", "1.03x slower", "the same", "3.4x faster", "2.0x slower", "n/a"]
    assert _faster(1 / 35.0, "less", "more") == "35.0x more"
