"""Results of a run: points, environment and config; load, save, atomic writes.

``results.json`` is the contract that every later command and outside tool
reads. Growth fits are written into it for readers' convenience, but
``report``, ``compare`` and ``check`` always recompute them from the points.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from hloscope.errors import OutputError, ResultsError
from hloscope.steps import FORWARD

FORMAT = "hloscope.results"
VERSION = 1
STATUSES = ("ok", "failed", "timeout")
# What results.json holds for outside readers but hloscope derives from the
# points on every read (hloscope.results.analysis): never trusted from a file.
DERIVED_KEYS = ("growth", "per_layer", "predictions", "headlines")


@dataclass(frozen=True)
class Stats:
    """Every sample of a timing, with its median, min and max."""

    median: float
    min: float
    max: float
    samples: tuple[float, ...]

    @classmethod
    def from_samples(cls, samples: Iterable[float]) -> "Stats":
        values = tuple(float(s) for s in samples)
        if not values:
            raise ValueError("Stats needs at least one sample")
        return cls(statistics.median(values), min(values), max(values), values)

    def to_json(self) -> dict:
        return {"median": self.median, "min": self.min, "max": self.max, "samples": list(self.samples)}


# The core keys of a point's record, in the order to_json() writes them.
_RECORD_FIELDS = ("model", "step", "variant", "layers", "status", "error", "timing", "hlo")


@dataclass(frozen=True)
class Point:
    """One (model, step, variant, layers) measurement, as stored in results.json.

    ``step`` is what was lowered: the forward pass or a whole training step
    (hloscope.steps); a record without it measured the forward.
    ``timing`` and ``hlo`` hold plain JSON values; keys beyond the core ones
    (memory, cost, runtime_s, equivalence, warnings, ...) live in ``extra``.
    """

    model: str
    variant: str
    layers: int
    status: str
    error: str | None = None
    timing: dict[str, Any] = field(default_factory=dict)
    hlo: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    step: str = FORWARD

    @property
    def key(self) -> tuple[str, str, str, int]:
        """(model, step, variant, layers): what identifies a point in a run."""
        return (self.model, self.step, self.variant, self.layers)

    @property
    def series(self) -> tuple[str, str, str]:
        """(model, step, variant): the points one growth fit takes."""
        return (self.model, self.step, self.variant)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict:
        record = {
            "model": self.model,
            "step": self.step,
            "variant": self.variant,
            "layers": self.layers,
            "status": self.status,
            "error": self.error,
            "timing": self.timing,
            "hlo": self.hlo,
        }
        record.update(self.extra)
        return record

    @classmethod
    def from_json(cls, record: dict) -> "Point":
        try:
            core = {
                "model": str(record["model"]),
                "variant": str(record["variant"]),
                "layers": int(record["layers"]),
                "status": str(record["status"]),
                "step": str(record.get("step", FORWARD)),
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsError(f"a point lacks a valid {exc} field") from None
        return cls(
            **core,
            error=record.get("error"),
            timing=dict(record.get("timing") or {}),
            hlo=dict(record.get("hlo") or {}),
            extra={k: v for k, v in record.items() if k not in _RECORD_FIELDS},
        )

    def lookup(self, path: str) -> Any:
        """The value a dotted path names in ``to_json()``, e.g. ``hlo.pre.instructions``;
        None if absent. Walks the fields without building the record."""
        head, *rest = path.split(".")
        if head in self.extra:  # to_json() lets extra override the core fields
            node: Any = self.extra[head]
        elif head in _RECORD_FIELDS:
            node = getattr(self, head)
        else:
            return None
        for part in rest:
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def stats(self, name: str) -> dict | None:
        """The STATS record of a timing (``compile_s`` and the other stages sit in
        ``timing``, ``runtime_s`` beside it); None when absent or not a record."""
        node = self.timing.get(name) if name in self.timing else self.extra.get(name)
        return node if isinstance(node, dict) else None

    def value(self, metric: str) -> float | None:
        """The number a dotted metric name names, e.g. ``compile_s`` or
        ``hlo.pre.instructions``; a timing gives its median. None if absent."""
        node = self.timing[metric] if metric in self.timing else self.lookup(metric)
        if isinstance(node, dict) and "median" in node:
            node = node["median"]
        if isinstance(node, bool) or not isinstance(node, (int, float)):
            return None
        return float(node)


@dataclass(frozen=True)
class Results:
    """A whole run: what was measured and where."""

    created: str
    command: str
    environment: dict[str, Any]
    config: dict[str, Any]
    points: tuple[Point, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, derived: dict | None = None) -> dict:
        """The results.json record; ``derived`` (growth, per-layer costs, ...) follows the points."""
        record = {
            "format": FORMAT,
            "version": VERSION,
            "created": self.created,
            "command": self.command,
            "environment": self.environment,
            "config": self.config,
            "points": [p.to_json() for p in self.points],
        }
        record.update(derived or {})
        record.update(self.extra)
        return record

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(p.model for p in self.points))

    @property
    def variants(self) -> list[str]:
        return list(dict.fromkeys(p.variant for p in self.points))


def results_from_json(record: Any, source: str = "results") -> Results:
    """Check a decoded results.json and build Results from it."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ResultsError(f"{source}: not an hloscope results file (format is not {FORMAT!r})")
    version = record.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ResultsError(
            f"{source}: results version {version!r} is newer than this hloscope reads ({VERSION}); upgrade hloscope"
        )
    missing = [k for k in ("created", "command", "environment", "config", "points") if k not in record]
    if missing:
        raise ResultsError(f"{source}: missing key(s): {', '.join(missing)}")
    if not isinstance(record["points"], list):
        raise ResultsError(f"{source}: 'points' is not a list")
    known = {"format", "version", "created", "command", "environment", "config", "points", *DERIVED_KEYS}
    try:
        points = tuple(Point.from_json(p) for p in record["points"])
    except ResultsError as exc:
        raise ResultsError(f"{source}: {exc}") from None
    except AttributeError:
        raise ResultsError(f"{source}: a point is not a JSON object") from None
    return Results(
        created=str(record["created"]),
        command=str(record["command"]),
        environment=dict(record["environment"] or {}),
        config=dict(record["config"] or {}),
        points=points,
        extra={k: v for k, v in record.items() if k not in known},
    )


def load_results(path: str | os.PathLike) -> Results:
    """Read and validate a results.json file."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read: {exc}") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    return results_from_json(record, str(path))


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # the only portable read sets it; put it straight back
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write text to path via a temporary file and rename: never a torn file."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # mkstemp makes the file 0600; give it what a plain open() would.
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def results_text(results: Results, derived: dict | None = None) -> str:
    """The text of results.json: the results, then what was derived from them."""
    return json.dumps(results.to_json(derived), indent=1) + "\n"


def save_results(results: Results, path: str | os.PathLike, derived: dict | None = None) -> None:
    """Write results.json atomically."""
    write_atomic(path, results_text(results, derived))
