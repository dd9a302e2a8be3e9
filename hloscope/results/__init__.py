"""What a run measured and everything derived from it. Imports neither jax, flax nor click.

- ``records``: ``Point``, ``Results``, ``Stats``; reading and writing results.json.
- ``growth``: how each metric grows with L.
- ``per_layer``: what one layer costs, and hloscope's FLOPs beside XLA's.
- ``compare`` and ``check``: two runs diffed, and a run held against expectations.
"""

from hloscope.results.records import (
    FORMAT,
    STATUSES,
    VERSION,
    Point,
    Results,
    Stats,
    load_results,
    results_from_json,
    results_text,
    save_results,
    write_atomic,
)

__all__ = [
    "FORMAT",
    "STATUSES",
    "VERSION",
    "Point",
    "Results",
    "Stats",
    "load_results",
    "results_from_json",
    "results_text",
    "save_results",
    "write_atomic",
]
