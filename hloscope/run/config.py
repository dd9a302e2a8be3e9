"""What a sweep measures: the frozen configuration of one analyze run."""

from __future__ import annotations

from dataclasses import asdict, dataclass

DEFAULT_LAYERS = (1, 2, 4, 8, 16, 32, 64, 96)
DEFAULT_MODELS = ("linear", "transformer")
DEFAULT_VARIANTS = ("scan", "unroll")


@dataclass(frozen=True)
class SweepConfig:
    """Models, variants, layer counts, sizes and limits of one run.

    Stored in results.json as ``config``; ``--resume`` refuses a run whose
    stored config differs.
    """

    models: tuple[str, ...] = DEFAULT_MODELS
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    layers: tuple[int, ...] = DEFAULT_LAYERS
    features: int | None = None
    heads: int | None = None
    seq_len: int | None = None
    batch: int | None = None
    input_shape: tuple[int, ...] | None = None
    dtype: str = "float32"
    name: str | None = None
    platform: str | None = None
    repeats: int = 3
    timeout_s: float | None = None
    predict_layers: tuple[int, ...] = ()
    seed: int = 0

    def to_json(self) -> dict:
        record = asdict(self)
        for key, value in record.items():
            if isinstance(value, tuple):
                record[key] = list(value)
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

    def plan(self) -> list[tuple[str, str, int]]:
        """Every point in the order it is measured, models by name."""
        return [(m, v, L) for m in self.model_names() for L in self.layers for v in self.variants]
