"""Show a sweep's progress on stderr: a live bar on a terminal, plain lines otherwise.

The estimate of the remaining time models each (model, step, variant)'s
point duration as a + b*L from the points already measured, since unrolled
points grow with L and an average over the first (small) points would
promise far too little. Points of a series not yet started have no estimate:
the remaining time is then shown as a lower bound ("≥").
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO

from hloscope.results import Point
from hloscope.results.stats import least_squares
from hloscope.steps import series_label

BAR_WIDTH = 20
TICK_S = 0.5


def format_duration(seconds: float | None) -> str:
    """'1:05' or '1:02:05'; '?' when unknown."""
    if seconds is None:
        return "?"
    seconds = int(round(max(0.0, seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Estimate:
    """Seconds the remaining points should take, and how many of them no estimate covers.

    ``unknown`` counts remaining points of a (model, step, variant) with no
    finished point yet: nothing says how long they take, so ``seconds`` is a
    lower bound while it is not zero.
    """

    seconds: float
    unknown: int


def estimate_remaining(done: list[tuple[str, str, str, int, float]],
                       remaining: list[tuple[str, str, str, int]]) -> Estimate | None:
    """How long the remaining points will take, from the measured durations.

    ``done`` holds (model, step, variant, layers, seconds) of finished
    points; ``remaining`` the keys (model, step, variant, layers) to come.
    Each (model, step, variant) is fitted as a + b*L (b >= 0) once two layer counts are
    in: points are measured from the outside in, so the first two are the
    smallest and largest L and the line interpolates. With one layer count
    the series' mean stands for it. None before any point finished.
    """
    if not done:
        return None
    by_series: dict[tuple[str, str, str], list[tuple[int, float]]] = {}
    for *series, layers, seconds in done:
        by_series.setdefault(tuple(series), []).append((layers, seconds))
    fits = {key: _line(pairs) for key, pairs in by_series.items()}
    total, unknown = 0.0, 0
    for *series, layers in remaining:
        fit = fits.get(tuple(series))
        if fit is None:
            unknown += 1
        else:
            total += max(0.0, fit[0] + fit[1] * layers)
    return Estimate(total, unknown)


def _line(pairs: list[tuple[int, float]]) -> tuple[float, float]:
    """a + b*L with b >= 0 by least squares; the mean while one layer count is in."""
    if len({x for x, _ in pairs}) < 2:
        return sum(y for _, y in pairs) / len(pairs), 0.0
    line = least_squares([float(x) for x, _ in pairs], [y for _, y in pairs])
    if line.slope <= 0:
        return sum(y for _, y in pairs) / len(pairs), 0.0
    return line.intercept, line.slope


class Progress:
    """Progress of one sweep; silent when disabled (``--quiet``)."""

    def __init__(self, plan: list[tuple[str, str, str, int]], stream: TextIO | None = None,
                 enabled: bool = True, live: bool | None = None, shown_warnings: set | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.live = enabled and (self.stream.isatty() if live is None else live)
        self.plan = list(plan)
        # Each distinct point warning is printed once per run.
        self.shown_warnings = shown_warnings if shown_warnings is not None else set()
        self.finished: set[tuple[str, str, str, int]] = set()
        self.durations: list[tuple[str, str, str, int, float]] = []
        self.started = time.monotonic()
        self.current: tuple[str, str, str, int] | None = None
        self.current_started = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def skip(self, keys) -> None:
        """Points already measured by an earlier run (``--resume``)."""
        self.finished.update(keys)

    def begin(self, model: str, step: str, variant: str, layers: int) -> None:
        with self._lock:
            self.current = (model, step, variant, layers)
            self.current_started = time.monotonic()
        if self.live:
            self._draw()
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, name="hloscope-progress", daemon=True)
                self._ticker.start()

    def end(self, point: Point) -> None:
        with self._lock:
            seconds = time.monotonic() - self.current_started
            self.finished.add(point.key)
            self.durations.append((*point.key, seconds))
            self.current = None
        if not self.enabled:
            return
        status = point.status if point.ok else f"{point.status}: {point.error}"
        line = (
            f"[{len(self.finished)}/{len(self.plan)}] {_label(*point.key)}: "
            f"{status} ({seconds:.1f} s; elapsed {format_duration(self.elapsed_s)}, "
            f"remaining {self.remaining_text()})"
        )
        if self.live:
            if not point.ok:
                self._write("\r\033[K" + line + "\n")
        else:
            self._write(line + "\n")
        for warning in point.extra.get("warnings") or []:
            if warning not in self.shown_warnings:
                self.shown_warnings.add(warning)
                self.message(f"hloscope: warning: {warning}")
        if self.live:
            self._draw()

    def message(self, text: str) -> None:
        """A line of its own (warnings, interruption notices)."""
        if not self.enabled:
            return
        self._write(("\r\033[K" if self.live else "") + text + "\n")
        if self.live and self.current is not None:
            self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(2)
        if self.live:
            self._write("\r\033[K")

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> Estimate | None:
        """The estimate for the points not finished yet; None before the first one finished."""
        remaining = [key for key in self.plan if key not in self.finished]
        if not remaining:
            return Estimate(0.0, 0)
        estimate = estimate_remaining(self.durations, remaining)
        if estimate is not None and self.current is not None:
            # The current point has already run for a while.
            elapsed = time.monotonic() - self.current_started
            estimate = Estimate(max(estimate.seconds - elapsed, 0.0), estimate.unknown)
        return estimate

    def remaining_text(self) -> str:
        """'~1:05', or '≥1:05' while some series has no finished point; '?' before any."""
        estimate = self.remaining()
        if estimate is None:
            return "?"
        return ("≥" if estimate.unknown else "~") + format_duration(estimate.seconds)

    def _tick(self) -> None:
        while not self._stop.wait(TICK_S):
            if self.current is not None:
                self._draw()

    def _draw(self) -> None:
        done, total = len(self.finished), len(self.plan)
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        current = self.current
        what = _label(*current) if current else ""
        self._write(
            f"\r\033[K[{bar}] {done}/{total} {what}  elapsed {format_duration(self.elapsed_s)}"
            f"  remaining {self.remaining_text()}"
        )

    def _write(self, text: str) -> None:
        with self._lock:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):
                pass


def _label(model: str, step: str, variant: str, layers: int) -> str:
    return f"{series_label(model, step, variant)} L={layers}"
