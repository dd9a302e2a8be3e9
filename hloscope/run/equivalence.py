"""Do a variant and the scanned stack compute the same thing on the same parameters?

The tolerance scales with the output's magnitude and the dtype's precision:
``sqrt(eps(dtype)) * max|scan output|``. Reordered float arithmetic (another
fusion, another loop structure) stays far inside it; a wrong layer order,
a skipped layer or other weights do not.

A training step is compared on its loss, gradients and updated parameters:
hloscope.run.train_equivalence.
"""

from __future__ import annotations

import math

import numpy as np

from hloscope.errors import HloscopeError


class EquivalenceError(HloscopeError):
    """A variant whose output differs from the scanned stack's (a failed point)."""

    exit_code = 1


def _leaves(value) -> list[tuple[str, np.ndarray]]:
    """(name, host array) of every output array: 'y', or 'y' and 'aux...' of (y, aux); keys as key data."""
    import jax

    from hloscope.models.state import host_array

    parts = {"y": value[0], "aux": value[1]} if isinstance(value, tuple) and len(value) == 2 else {"y": value}
    return [(name + jax.tree_util.keystr(path), host_array(leaf))
            for name, part in parts.items()
            for path, leaf in jax.tree_util.tree_flatten_with_path(part)[0]]


def _compare_leaf(ref: np.ndarray, out: np.ndarray) -> dict:
    """max_abs_diff, tolerance and ok of one output array against scan's.

    Floating arrays: ``sqrt(eps(dtype)) * max|ref|``; integer, boolean and
    key arrays (an index, a mask, a count) must be equal.
    """
    import jax.numpy as jnp

    inexact = jnp.issubdtype(ref.dtype, jnp.inexact)
    wide = np.complex128 if np.iscomplexobj(ref) or np.iscomplexobj(out) else np.float64
    ref64, out64 = ref.reshape(-1).astype(wide), out.reshape(-1).astype(wide)
    finite_ref = ref64[np.isfinite(ref64)]
    scale = float(np.max(np.abs(finite_ref))) if finite_ref.size else 0.0
    tolerance = math.sqrt(float(jnp.finfo(ref.dtype).eps)) * scale if inexact else 0.0
    # Non-finite values must match exactly (NaN where NaN, same infinities).
    nonfinite = ~np.isfinite(ref64) | ~np.isfinite(out64)
    same_nonfinite = np.array_equal(np.isnan(ref64), np.isnan(out64)) and np.array_equal(
        ref64[nonfinite & ~np.isnan(ref64)], out64[nonfinite & ~np.isnan(out64)]
    )
    diff = np.abs(ref64[~nonfinite] - out64[~nonfinite])
    max_abs_diff = float(diff.max()) if diff.size else 0.0
    record = {"max_abs_diff": max_abs_diff, "ok": bool(same_nonfinite and max_abs_diff <= tolerance),
              "tolerance": tolerance}
    if not same_nonfinite:
        # Infinity is not JSON: say where the outputs part instead.
        record["mismatch"] = "NaN or infinite values differ from scan's"
    return record


def compare_outputs(reference, output) -> dict:
    """The ``equivalence`` record of ``output`` against the scanned ``reference``.

    Both are y or (y, aux). Every array is compared on its own scale; the
    record gives the array that is furthest out of its tolerance (``output``
    names it, e.g. ``aux['loss']``, when there is more than y).
    """
    ref, out = _leaves(reference), _leaves(output)
    ref_shapes = [(path, a.shape, a.dtype) for path, a in ref]
    out_shapes = [(path, a.shape, a.dtype) for path, a in out]
    if ref_shapes != out_shapes:
        sizes = (sum(a.size for _, a in out), sum(a.size for _, a in ref))
        return {"max_abs_diff": None, "ok": False, "tolerance": None, "against": "scan",
                "mismatch": f"output has {len(out)} arrays of {sizes[0]} values, scan's {len(ref)} of {sizes[1]}"}
    records = [(path, _compare_leaf(a, b)) for (path, a), (_, b) in zip(ref, out)]
    if not records:
        return {"max_abs_diff": 0.0, "ok": True, "tolerance": 0.0, "against": "scan"}

    def badness(item):
        record = item[1]
        if not record["ok"]:
            excess = record["max_abs_diff"] / record["tolerance"] if record["tolerance"] else math.inf
            return (2, excess)
        return (1, record["max_abs_diff"] / record["tolerance"] if record["tolerance"] else 0.0)

    path, worst = max(records, key=badness)
    record = {**worst, "ok": all(r["ok"] for _, r in records), "against": "scan"}
    if len(records) > 1:
        record["output"] = path
    return record


def compare_step(step: str, reference, result) -> dict:
    """The ``equivalence`` record of one step's comparable result against scan's."""
    from hloscope.steps import TRAIN
    from hloscope.run.train_equivalence import compare_train_results

    return compare_train_results(reference, result) if step == TRAIN else compare_outputs(reference, result)


def check_equivalence(spec, variant: str, layers: int, seed: int = 0, step: str = "forward") -> dict:
    """Run ``variant`` and ``scan`` once on the same parameters and input; compare."""
    from hloscope.models.stacking import build_stack

    stack = build_stack(spec, layers, seed)
    inputs = spec.example_inputs()
    return compare_step(step, _run(stack, "scan", inputs, step), _run(stack, variant, inputs, step))


def _run(stack, variant: str, inputs, step: str = "forward"):
    """Compile and run ``step`` of ``variant`` over ``stack`` once on the example call ``inputs``.

    Returns what equivalence compares of it, as host arrays.
    """
    from hloscope.models.state import host_tree
    from hloscope.run.steps import comparable, step_forward

    forward = step_forward(stack, step, variant, inputs)
    output = forward.check_result(forward.jit()(*forward.args))
    return host_tree(comparable(output, stack, step, variant))


def mismatch_reason(variant: str, record: dict, step: str = "forward") -> str:
    """One line for a failed equivalence check."""
    from hloscope.steps import TRAIN
    from hloscope.run.train_equivalence import train_mismatch

    if step == TRAIN:
        return (f"the training step of {variant} differs from scan's on the same parameters and input: "
                f"{train_mismatch(record)}")
    head = f"{variant} output differs from scan on the same parameters and input"
    where = f" in output {record['output']}" if record.get("output") else ""
    if record.get("mismatch"):
        return f"{head}{where}: {record['mismatch']}"
    return f"{head}{where}: max |diff| {record['max_abs_diff']:.3g} > tolerance {record['tolerance']:.3g}"


# The scanned output of the last few (model, step, layers, seed), kept when a scan
# point runs so that the other variants of that layer count compare against
# it without compiling the scan again. Small: one forward output each.
_SCAN_OUTPUTS_KEPT = 2
_scan_outputs: dict[tuple, object] = {}


def remember_scan_output(key: tuple, output) -> None:
    """Keep the scanned stack's output (as host arrays) for ``key``."""
    from hloscope.models.state import host_tree

    _scan_outputs.pop(key, None)
    _scan_outputs[key] = host_tree(output)
    while len(_scan_outputs) > _SCAN_OUTPUTS_KEPT:
        _scan_outputs.pop(next(iter(_scan_outputs)))


def point_checks(spec, variant: str, layers: int, seed: int = 0, output=None,
                 step: str = "forward") -> tuple[dict | None, list[str]]:
    """Equivalence record (None for scan) and pitfall warnings for one point.

    ``output``, when given, is what the equivalence check reads of the
    variant's ``step`` (``Forward.check_result``), already computed on the
    parameters ``build_stack(spec, layers, seed)`` builds and
    ``spec.example_inputs()``; it saves a compile. A scan point's output is kept
    for the variants after it; a variant that finds none (a fresh worker, a
    resumed run) runs the scan itself on those same parameters.
    """
    from hloscope.models.checks import identical_layer_warnings
    from hloscope.models.stacking import cached_inputs, cached_stack, spec_key
    from hloscope.models.state import host_tree
    from hloscope.run.steps import comparable

    stack = cached_stack(spec, layers, seed)
    warnings = identical_layer_warnings(spec.name, stack.states[1], layers)
    key = (spec_key(spec), step, int(layers), int(seed))
    result = None if output is None else host_tree(comparable(output, stack, step, variant))
    if variant == "scan":
        if result is not None:
            remember_scan_output(key, result)
        return None, warnings
    reference = _scan_outputs.get(key)
    if reference is None:
        reference = _run(stack, "scan", cached_inputs(spec), step)
        remember_scan_output(key, reference)
    if result is None:
        result = _run(stack, variant, cached_inputs(spec), step)
    return compare_step(step, reference, result), warnings
