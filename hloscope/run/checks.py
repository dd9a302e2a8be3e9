"""Check a run's configuration before anything is measured or written.

``check_options`` runs in the parent process and never initialises a JAX
backend; ``check_models`` builds each model and runs in the worker, which
reports its warnings or its error back before the run folder is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hloscope.errors import UsageError
from hloscope.steps import TRAIN, check_step
from hloscope.run.config import SweepConfig


def resolve_model(config: SweepConfig, model: str):
    """The ModelSpec for a model name or ``--model`` string of ``config`` (imports jax and flax).

    Only strings go in, so a worker process can resolve the same model again.
    Raises UsageError for an unknown built-in, ModelError for a user block
    that cannot be loaded.
    """
    from hloscope.models.user import user_model
    from hloscope.models.zoo import builtin_model

    source = config.model_source(model)
    if ":" in source:
        return user_model(source, config.model_name(source), config.input_shape, config.dtype, config.inputs)
    return builtin_model(
        source, config.features, heads=config.heads, seq_len=config.seq_len, batch=config.batch
    )


def check_options(config: SweepConfig) -> None:
    """Refuse unknown steps and variants, duplicate model names, a misplaced --name or --inputs (UsageError).

    Imports neither jax nor user code: ``--inputs`` is only parsed here, its
    file is imported in the worker.
    """
    from hloscope.sources import split_source
    from hloscope.variants import parse_variant

    for step in config.steps:
        check_step(step)
    for variant in config.variants:
        parse_variant(variant)
    names = config.model_names()
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError(f"two models are named {duplicates[0]!r}; give user blocks distinct names")
    if config.name and sum(":" in s for s in config.models) != 1:
        raise UsageError("--name names a user block: give exactly one --model PATH.py:FACTORY with it")
    if config.inputs is not None:
        split_source(config.inputs, "--inputs")
        if not any(":" in s for s in config.models):
            raise UsageError("--inputs gives a user block its example call: give --model PATH.py:FACTORY with it")
        if config.input_shape is not None or config.dtype != "float32":
            given = "--input-shape" if config.input_shape is not None else "--dtype"
            raise UsageError(
                f"--inputs {config.inputs} gives x's shape and dtype (the first array it returns): drop {given}"
            )


@dataclass(frozen=True)
class CheckedModels:
    """What checking a run's models found: pitfall warnings, and the sizes each model was resolved to.

    ``sizes`` maps each model name to ``model_sizes`` of its spec; the run
    records it in results.json as ``config.sizes``.
    """

    warnings: tuple[str, ...] = ()
    sizes: dict[str, dict] = field(default_factory=dict)


def model_sizes(spec) -> dict:
    """The sizes a model is measured at: its own (features, heads, seq_len, batch, ...), x's shape and dtype.

    Options left to a model's defaults are resolved here, so a run records
    the sizes it measured, not the options it was given. A block called
    with ``--inputs`` records its example call's arrays: x's shape and dtype,
    and the others as ``extra_inputs`` ('int32[2,8]').
    """
    if spec.input_shape is not None:
        return {**spec.sizes, "input_shape": [int(n) for n in spec.input_shape], "dtype": str(spec.dtype)}
    # An --inputs function gives the example call: x is its first array, the others ride along unchanged.
    x, *extras = spec.example_inputs()
    return {**spec.sizes, "input_shape": [int(n) for n in x.shape], "dtype": str(x.dtype),
            "extra_inputs": [f"{a.dtype}[{','.join(str(int(n)) for n in a.shape)}]" for a in extras]}


def check_models(config: SweepConfig) -> CheckedModels:
    """Build and check every model of ``config``: its pitfall warnings and resolved sizes.

    With ``--step train``, each model must also have a training step:
    trainable parameters and a floating output. Raises ModelError or
    UsageError for a model that cannot be measured. Runs where JAX may
    initialise its backend: the worker, or a test.
    """
    from hloscope.models.checks import check_model
    from hloscope.models.stacking import build_stack
    from hloscope.models.train import check_trainable

    warnings, sizes = [], {}
    for source in config.models:
        name = config.model_name(source)
        spec = resolve_model(config, name)
        warnings += check_model(spec, config.seed)
        sizes[name] = model_sizes(spec)
        if TRAIN in config.steps:
            check_trainable(spec, build_stack(spec, 1, config.seed))
    return CheckedModels(tuple(warnings), sizes)


def validate_config(config: SweepConfig) -> list[str]:
    """check_options, then check_models: every check of a run, in this process; the pitfall warnings."""
    check_options(config)
    return list(check_models(config).warnings)
