"""hloscope: see how XLA compile cost grows with model depth.

``hloscope.hlo``, ``hloscope.results``, ``hloscope.results.growth`` and
``hloscope.report`` never import jax; the names below that need it are
loaded on first use.
"""

from __future__ import annotations

from hloscope.errors import HloscopeError

__version__ = "0.1.0"

_LAZY = {
    "scan_layers_forward": ("hloscope.models.seed", "scan_layers_forward"),
    "unrolled_layers_forward": ("hloscope.models.seed", "unrolled_layers_forward"),
    "analyze": ("hloscope.run.pipeline", "analyze"),
    "parse_hlo": ("hloscope.hlo", "parse_hlo"),
    "load_results": ("hloscope.results", "load_results"),
}

__all__ = ["HloscopeError", "__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module_name, attr = _LAZY[name]
        return getattr(importlib.import_module(module_name), attr)
    raise AttributeError(f"module 'hloscope' has no attribute {name!r}")
