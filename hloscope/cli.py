"""The hloscope command line: parses options, calls the API, maps errors to exit codes."""

from __future__ import annotations

from pathlib import Path

import click

from hloscope.errors import HloscopeError

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


def parse_layers(value: str) -> tuple[int, ...]:
    """'1,2,4' -> (1, 2, 4): positive, distinct integers."""
    items = [item.strip() for item in value.split(",")]
    if not value.strip() or any(not item for item in items):
        raise click.BadParameter(f"{value!r}: give a comma-separated list of positive integers, e.g. 1,2,4,8")
    layers = []
    for item in items:
        try:
            number = int(item)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not an integer") from None
        if number <= 0:
            raise click.BadParameter(f"{number} is not a positive layer count")
        if number in layers:
            raise click.BadParameter(f"{number} is listed twice")
        layers.append(number)
    return tuple(layers)


def _layers_callback(ctx, param, value):
    return None if value is None else parse_layers(value)


def _variants_callback(ctx, param, value):
    if value is None:
        return None
    variants = tuple(dict.fromkeys(item.strip() for item in value.split(",")))
    if not all(variants):
        raise click.BadParameter(f"{value!r}: give a comma-separated list, e.g. scan,unroll,scan-remat")
    return variants


def _steps_callback(ctx, param, value):
    from hloscope.errors import UsageError
    from hloscope.steps import parse_steps

    if value is None:
        return None
    try:
        return parse_steps(value)
    except UsageError as exc:
        raise click.BadParameter(str(exc)) from None


def _shape_callback(ctx, param, value):
    """'4,32' -> (4, 32): positive integers."""
    if value is None:
        return None
    try:
        shape = tuple(int(item) for item in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give comma-separated positive integers, e.g. 4,32") from None
    if not shape or any(n <= 0 for n in shape):
        raise click.BadParameter(f"{value!r}: give comma-separated positive integers, e.g. 4,32")
    return shape


class HloscopeGroup(click.Group):
    """A click group that turns HloscopeError into a one-line message and exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            # Click would print usage lines around the message; keep it to one line.
            where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            click.echo(f"hloscope: error: {exc.format_message()}{where}", err=True)
            ctx.exit(EXIT_USAGE)
        except HloscopeError as exc:
            # One line: parse errors carry a caret snippet below their first line.
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            click.echo(f"hloscope: error: {message}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=HloscopeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hloscope", prog_name="hloscope")
def main():
    """See how XLA compile cost grows with model depth: scanned vs unrolled layer stacks."""


@main.command()
@click.option("--model", "models", multiple=True, metavar="NAME|PATH.py:FACTORY",
              help="Model to analyse (repeatable). Built-in: linear, mlp, transformer, stem-trunk-head; "
                   "or your block: PATH.py:FACTORY or package.module:FACTORY. Default: linear, transformer.")
@click.option("--variants", callback=_variants_callback, metavar="V1,V2,...",
              help="Variants: scan, unroll (L separate modules), unroll-sliced (slices of the stack), "
                   "scan-unroll-K, scan-remat. Default: scan,unroll.")
@click.option("--step", "steps", callback=_steps_callback, metavar="forward|train",
              help="What to lower: forward (the forward pass), train (a training step: loss, gradients and one "
                   "optax.adamw update), or both as a comma list. Default: forward.")
@click.option("--heads", type=click.IntRange(min=1), help="Transformer attention heads (default 4).")
@click.option("--seq-len", type=click.IntRange(min=1), help="Transformer sequence length (default 64).")
@click.option("--batch", type=click.IntRange(min=1), help="Batch size of built-in models (default 1).")
@click.option("--input-shape", callback=_shape_callback, metavar="D1,D2,...",
              help="Shape of a user block's input x, e.g. 4,32.")
@click.option("--dtype", default="float32", show_default=True, help="dtype of a user block's input x.")
@click.option("--inputs", metavar="PATH.py:FN",
              help="A function FN() returning your block's example call (x, *extras): x is carried through the "
                   "layers, the extras (masks, positions) are passed unchanged to every layer. "
                   "Replaces --input-shape and --dtype.")
@click.option("--name", help="Name of a user block in results and report (default: the factory's name).")
@click.option("--platform", type=click.Choice(["cpu", "cuda", "tpu"]),
              help="Platform to lower for (default: the local backend). Elsewhere only pre-optimization HLO is measured.")
@click.option("--layers", callback=_layers_callback, metavar="L1,L2,...",
              help="Layer counts to sweep. Default: 1,2,4,8,16,32,64,96.")
@click.option("--features", type=click.IntRange(min=1), help="Model width F (default: each model's own, 256).")
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True,
              help="Cold compiles per point; every sample is kept.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Run folder (default: a new folder under reports/ named by model and UTC time).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True), metavar="S",
              help="Seconds one point may take (its trace, lower, compile and analysis); "
                   "a point over it is recorded as timeout and the sweep goes on.")
@click.option("--resume", is_flag=True, help="Finish the run in --out: keep its finished points, measure the rest.")
@click.option("--predict-layers", "predict_layers", callback=_layers_callback, metavar="L1,L2,...",
              help="Also predict each metric at these layer counts from the growth fits (marked predicted).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def analyze(models, variants, steps, heads, seq_len, batch, input_shape, dtype, inputs, name, platform, layers, features,
            repeats, out_dir, timeout_s, resume, predict_layers, quiet):
    """Lower, compile and measure scanned and unrolled stacks over layer counts."""
    from hloscope.report import summary_table
    from hloscope.steps import DEFAULT_STEPS
    from hloscope.run.config import DEFAULT_LAYERS, DEFAULT_MODELS, DEFAULT_VARIANTS, SweepConfig, reproduce_command
    from hloscope.run.folder import default_out_dir
    from hloscope.run.pipeline import analyze as run_analysis
    from hloscope.run.progress import Progress

    config = SweepConfig(
        models=tuple(dict.fromkeys(models)) or DEFAULT_MODELS,
        layers=layers or DEFAULT_LAYERS,
        features=features,
        repeats=repeats,
        variants=variants or DEFAULT_VARIANTS,
        steps=steps or DEFAULT_STEPS,
        heads=heads,
        seq_len=seq_len,
        batch=batch,
        input_shape=input_shape,
        dtype=dtype,
        inputs=inputs,
        name=name,
        platform=platform,
        timeout_s=timeout_s,
        predict_layers=predict_layers or (),
    )
    if resume and out_dir is None:
        raise click.UsageError("--resume needs --out: the run folder to finish")
    out_dir = out_dir or default_out_dir(config.model_names())
    progress = Progress(config.plan(), enabled=not quiet)
    analysis = run_analysis(config, out_dir, reproduce_command(config), progress, resume=resume)
    if not quiet:
        click.echo(summary_table(analysis))
        click.echo(f"\nwrote {out_dir / 'results.json'} and {out_dir / 'index.html'}")
    failed = [p for p in analysis.results.points if not p.ok]
    click.get_current_context().exit(EXIT_FAILURES if failed else EXIT_OK)


@main.command()
@click.argument("results_path", metavar="RESULTS", type=click.Path(path_type=Path))
@click.option("--out", "out_file", required=True, type=click.Path(path_type=Path), help="File to write.")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True,
              help="html: the full report; md: a short summary for a review; json: results with recomputed growth.")
def report(results_path, out_file, fmt):
    """Re-render a report from RESULTS (results.json or its run folder) without measuring."""
    from hloscope.report.render import render_report_file

    render_report_file(results_path, out_file, fmt)
    click.echo(f"wrote {out_file}")


@main.command()
@click.argument("base_path", metavar="BASE", type=click.Path(path_type=Path))
@click.argument("new_path", metavar="NEW", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(path_type=Path), help="Write the HTML diff report here.")
def compare(base_path, new_path, out_file):
    """Compare two runs; exit 1 when a growth order got worse or a point newly failed."""
    from hloscope.report import compare_text
    from hloscope.report.render import write_compare_html
    from hloscope.results.compare import compare_files

    comparison = compare_files(base_path, new_path)
    click.echo(compare_text(comparison))
    if out_file is not None:
        write_compare_html(comparison, out_file)
        click.echo(f"wrote {out_file}")
    click.get_current_context().exit(EXIT_FAILURES if comparison.regressions else EXIT_OK)


@main.command()
@click.argument("results_path", metavar="RESULTS", type=click.Path(path_type=Path))
@click.option("--expect", "expects", multiple=True, metavar="VARIANT:METRIC=ORDER",
              help="Growth no worse than ORDER (O(1), O(L), O(L^k)); VARIANT may be a glob like 'scan*'. Repeatable.")
@click.option("--max-exponent", "max_exponents", multiple=True, metavar="VARIANT:METRIC=X",
              help="Log-log exponent at most X. Repeatable.")
def check(results_path, expects, max_exponents):
    """CI gate: exit 1 with one line per violated growth expectation.

    Without --expect or --max-exponent, every scan-family variant's compile_s
    and hlo.pre.instructions must be O(1).
    """
    from hloscope.report import check_lines
    from hloscope.results.check import check_file

    outcome = check_file(results_path, expects, max_exponents)
    for line in check_lines(outcome):
        click.echo(line)
    click.get_current_context().exit(EXIT_FAILURES if outcome.violations else EXIT_OK)


@main.command()
@click.argument("path", metavar="PATH")
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
@click.option("--html", "html_file", type=click.Path(path_type=Path), metavar="OUT",
              help="Also write a one-page HTML view (op histogram, loop tree, call graph).")
def inspect(path, as_json, html_file):
    """Analyse HLO text: a file, '-' for stdin, or an XLA --xla_dump_to folder."""
    import json

    from hloscope.hlo.inspection import inspect_sources, load_hlo_sources, report_to_json
    from hloscope.report.inspect_view import format_text, render_inspect_html
    from hloscope.results import write_atomic

    reports = inspect_sources(load_hlo_sources(path))
    if html_file is not None:
        write_atomic(html_file, render_inspect_html(reports))
    if as_json:
        click.echo(json.dumps(report_to_json(reports), indent=1))
    else:
        click.echo(format_text(reports))
        if html_file is not None:
            click.echo(f"wrote {html_file}")


if __name__ == "__main__":
    main()
