"""What a sweep measures: the frozen configuration of one analyze run."""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass

from hloscope.sources import absolute_source
from hloscope.steps import DEFAULT_STEPS
from hloscope.variants import UNROLL_CONSTRUCTION

DEFAULT_LAYERS = (1, 2, 4, 8, 16, 32, 64, 96)
DEFAULT_MODELS = ("linear", "transformer")
DEFAULT_VARIANTS = ("scan", "unroll")


@dataclass(frozen=True)
class SweepConfig:
    """Models, steps, variants, layer counts, sizes and limits of one run.

    Stored in results.json as ``config``; ``--resume`` refuses a run whose
    stored config differs.
    """

    models: tuple[str, ...] = DEFAULT_MODELS
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    steps: tuple[str, ...] = DEFAULT_STEPS
    layers: tuple[int, ...] = DEFAULT_LAYERS
    features: int | None = None
    heads: int | None = None
    seq_len: int | None = None
    batch: int | None = None
    input_shape: tuple[int, ...] | None = None
    dtype: str = "float32"
    inputs: str | None = None
    name: str | None = None
    platform: str | None = None
    repeats: int = 3
    timeout_s: float | None = None
    predict_layers: tuple[int, ...] = ()
    seed: int = 0

    def to_json(self) -> dict:
        """Every field, and how this version builds ``unroll`` (``unroll_construction``)."""
        record = asdict(self)
        for key, value in record.items():
            if isinstance(value, tuple):
                record[key] = list(value)
        record["unroll_construction"] = UNROLL_CONSTRUCTION
        return record

    def model_name(self, source: str) -> str:
        """The name a ``--model`` string goes by in points and reports.

        A built-in is its own name; a user block ``PATH.py:FACTORY`` is
        ``--name`` if given, else FACTORY.
        """
        if ":" not in source:
            return source
        return self.name or source.rsplit(":", 1)[1]

    def model_names(self) -> tuple[str, ...]:
        return tuple(self.model_name(source) for source in self.models)

    def model_source(self, name: str) -> str:
        """The ``--model`` string behind a model name (the name itself if none)."""
        for source in self.models:
            if self.model_name(source) == name:
                return source
        return name

    def plan(self) -> list[tuple[str, str, str, int]]:
        """Every point's key (model, step, variant, layers), models by name.

        The steps and variants of one layer count sit together: they share
        the layer count's parameters.
        """
        return [(m, s, v, L) for m in self.model_names() for L in self.layers for s in self.steps
                for v in self.variants]


def reproduce_command(config: SweepConfig) -> str:
    """The analyze command line that repeats this run, every setting spelled out.

    It runs as printed from any folder: no ``--out`` (each run gets a new
    folder under reports/, so the command never meets the folder of the run
    it repeats), and a user block's file by its absolute path.
    """
    words = ["hloscope", "analyze"]
    for model in config.models:
        words += ["--model", absolute_source(model)]
    words += ["--layers", ",".join(map(str, config.layers))]
    words += ["--variants", ",".join(config.variants)]
    words += ["--step", ",".join(config.steps)]
    for option, value in (("--features", config.features), ("--heads", config.heads),
                          ("--seq-len", config.seq_len), ("--batch", config.batch),
                          ("--name", config.name), ("--platform", config.platform)):
        if value is not None:
            words += [option, str(value)]
    if config.input_shape is not None:
        words += ["--input-shape", ",".join(map(str, config.input_shape)), "--dtype", config.dtype]
    if config.inputs is not None:
        words += ["--inputs", absolute_source(config.inputs)]
    words += ["--repeats", str(config.repeats)]
    if config.timeout_s is not None:
        words += ["--timeout", f"{config.timeout_s:g}"]
    if config.predict_layers:
        words += ["--predict-layers", ",".join(map(str, config.predict_layers))]
    return " ".join(shlex.quote(word) for word in words)
