"""The hloscope command line: parses options, calls the API, maps errors to exit codes."""

from __future__ import annotations

import shlex
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


def reproduce_command(config, out_dir: Path) -> str:
    """The analyze command line that repeats this run, every setting spelled out."""
    words = ["hloscope", "analyze"]
    for model in config.models:
        words += ["--model", model]
    words += ["--layers", ",".join(map(str, config.layers))]
    if config.features is not None:
        words += ["--features", str(config.features)]
    words += ["--repeats", str(config.repeats), "--out", str(out_dir)]
    return " ".join(shlex.quote(word) for word in words)


class HloscopeGroup(click.Group):
    """A click group that turns HloscopeError into a one-line message and exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HloscopeError as exc:
            click.echo(f"hloscope: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=HloscopeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hloscope", prog_name="hloscope")
def main():
    """See how XLA compile cost grows with model depth: scanned vs unrolled layer stacks."""


@main.command()
@click.option("--model", "models", multiple=True, metavar="NAME",
              help="Model to analyse (repeatable). Built-in: linear, transformer. Default: both.")
@click.option("--layers", callback=_layers_callback, metavar="L1,L2,...",
              help="Layer counts to sweep. Default: 1,2,4,8,16,32,64,96.")
@click.option("--features", type=click.IntRange(min=1), help="Model width F (default: each model's own, 256).")
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True,
              help="Cold compiles per point; every sample is kept.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Run folder (default: a new folder under reports/ named by model and UTC time).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def analyze(models, layers, features, repeats, out_dir, quiet):
    """Lower, compile and measure scanned and unrolled stacks over layer counts."""
    from hloscope.pipeline import analyze as run_analysis
    from hloscope.pipeline import default_out_dir
    from hloscope.report import summary_table
    from hloscope.config import DEFAULT_LAYERS, DEFAULT_MODELS, SweepConfig

    config = SweepConfig(
        models=tuple(dict.fromkeys(models)) or DEFAULT_MODELS,
        layers=layers or DEFAULT_LAYERS,
        features=features,
        repeats=repeats,
    )
    # Check model names before any folder is made.
    from hloscope.models import builtin_model

    for name in config.models:
        builtin_model(name)
    out_dir = out_dir or default_out_dir(config.models)

    def on_point(done, total, point):
        if not quiet:
            click.echo(f"[{done}/{total}] {point.model} {point.variant} L={point.layers}: {point.status}", err=True)

    results = run_analysis(config, out_dir, reproduce_command(config, out_dir), on_point)
    if not quiet:
        click.echo(summary_table(results))
        click.echo(f"\nwrote {out_dir / 'results.json'} and {out_dir / 'index.html'}")
    failed = [p for p in results.points if not p.ok]
    click.get_current_context().exit(EXIT_FAILURES if failed else EXIT_OK)


if __name__ == "__main__":
    main()
