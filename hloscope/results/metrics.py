"""The metrics a point holds: the one registry that growth fits, charts, check and compare read.

A metric is named by its dotted path in a point's record (``compile_s``,
``hlo.pre.instructions``, ``memory.temp_bytes``); a timing's value is the
median of its repeats. Adding a figure to hloscope means adding it here.
"""

from __future__ import annotations

from dataclasses import dataclass

from hloscope.errors import UsageError


@dataclass(frozen=True)
class Metric:
    """One figure of a point.

    ``unit``: "s" (seconds), "bytes" or "count". ``timing``: a STATS record
    of repeats (noisy) rather than an exact figure (the same program gives
    the same number). ``stored``: its growth is written to results.json.
    ``headline``: read by the one-line verdicts and the compare summary.
    ``source``: where the figure comes from. ``own_chart``: drawn in a chart
    of its own (the compile phases share one chart per model instead).
    ``expected``: the growth order a scan-family variant and an unrolled one
    should show (None: no expectation), which the report's colours judge.
    ``withheld``: why the report gives no order for this figure (None: it
    gives one). ``expected_train``: ``expected`` for a training step, where
    it differs from the forward pass's (None: the same).
    """

    name: str
    title: str
    unit: str
    timing: bool
    stored: bool
    headline: bool = False
    source: str = ""
    own_chart: bool = True
    expected: tuple[str | None, str | None] = (None, None)
    withheld: str | None = None
    expected_train: tuple[str | None, str | None] | None = None


# What a stack should give: one block in a while loop does not grow with L,
# L copies of it do. Runtime grows with L either way: both run L layers.
STACK_ORDERS = ("O(1)", "O(L)")

METRICS: tuple[Metric, ...] = (
    Metric("compile_s", "Backend compile time", "s", True, True, True,
           "jax.monitoring /jax/core/compile/backend_compile_duration", expected=STACK_ORDERS),
    Metric("hlo.pre.instructions", "HLO instructions before optimization", "count", False, True, True,
           "hloscope's parse of lowered.as_text(dialect='hlo')", expected=STACK_ORDERS),
    Metric("hlo.opt.instructions", "HLO instructions after optimization", "count", False, True, False,
           "hloscope's parse of compiled.as_text()", expected=STACK_ORDERS),
    Metric("lower_s", "Lowering time (jaxpr to MLIR)", "s", True, True, False,
           "jax.monitoring /jax/core/compile/jaxpr_to_mlir_module_duration", expected=STACK_ORDERS),
    Metric("trace_s", "Tracing time", "s", True, True, False,
           "jax.monitoring /jax/core/compile/jaxpr_trace_duration", expected=STACK_ORDERS),
    Metric("runtime_s", "Runtime of one call", "s", True, True, False,
           "wall time of the compiled call with block_until_ready", expected=("O(L)", "O(L)")),
    Metric("hlo.pre.bytes", "HLO text size before optimization", "bytes", False, True, False,
           "UTF-8 size of lowered.as_text(dialect='hlo')", expected=STACK_ORDERS),
    Metric("hlo.opt.bytes", "HLO text size after optimization", "bytes", False, False, False,
           "UTF-8 size of compiled.as_text()", expected=STACK_ORDERS),
    Metric("memory.temp_bytes", "Temporary buffer memory (XLA)", "bytes", False, True, False,
           "compiled.memory_analysis().temp_size_in_bytes", expected=("O(1)", None),
           # The backward pass reads every layer's residuals: a scanned step keeps them stacked, L of them.
           expected_train=("O(L)", "O(L)")),
    Metric("memory.generated_code_bytes", "Generated code size (XLA)", "bytes", False, False, False,
           "compiled.memory_analysis().generated_code_size_in_bytes", expected=STACK_ORDERS),
    Metric("peak_rss_bytes", "Peak resident memory while compiling", "bytes", False, False, False,
           "the worker's VmHWM over the point, reset before it",
           withheld="it includes what the worker holds before the point (Python, JAX, XLA) and the parameters, "
                    "which every variant holds L layers of"),
    # One sample each (one extra compile), but timings: fitted as timings are.
    Metric("compile_phases.hlo_passes_s", "Time in XLA's HLO pass pipelines", "s", True, True, False,
           "jax.profiler: XLA's HloPassPipeline events in one extra compile", own_chart=False,
           expected=STACK_ORDERS),
    Metric("compile_phases.backend_s", "Time in the backend (code generation)", "s", True, True, False,
           "jax.profiler: the backend's event less its pass pipelines, in one extra compile", own_chart=False,
           expected=STACK_ORDERS),
    # Training steps only: what the step's pytrees hold (hloscope.models.train.train_sizes). Stacked or
    # not, the same numbers; unrolled, one array per layer and parameter.
    Metric("params.bytes", "Trainable parameters", "bytes", False, False, False,
           "the step's nnx.Param leaves of a floating dtype: elements x itemsize", expected=("O(L)", "O(L)")),
    Metric("params.leaves", "Trainable parameter arrays", "count", False, False, False,
           "the step's nnx.Param leaves of a floating dtype: jax.tree.leaves", expected=STACK_ORDERS),
    Metric("optimizer_state.bytes", "Optimizer state (optax.adamw)", "bytes", False, True, False,
           "jax.eval_shape(optax.adamw(...).init, params): elements x itemsize", expected=("O(L)", "O(L)")),
    Metric("optimizer_state.leaves", "Optimizer state arrays (optax.adamw)", "count", False, True, False,
           "jax.eval_shape(optax.adamw(...).init, params): jax.tree.leaves", expected=STACK_ORDERS),
)

_BY_NAME = {m.name: m for m in METRICS}
METRIC_NAMES: tuple[str, ...] = tuple(_BY_NAME)
STORED_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.stored)
HEADLINE_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.headline)


def metric(name: str) -> Metric:
    """The registered metric called ``name``; UsageError naming the known ones otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UsageError(f"unknown metric {name!r}; known: {', '.join(METRIC_NAMES)}") from None


def is_timing(name: str) -> bool:
    """Whether a registered metric is a timing (noisy), whatever shape its record has."""
    return name in _BY_NAME and _BY_NAME[name].timing


def unit_of(name: str) -> str:
    """The unit of a metric, also for figures outside the registry: by the name's suffix."""
    if name in _BY_NAME:
        return _BY_NAME[name].unit
    if name.endswith("_s"):
        return "s"
    if name.endswith("bytes"):
        return "bytes"
    return "count"
