"""Do a variant and the scanned stack compute the same thing on the same parameters?

The tolerance scales with the output's magnitude and the dtype's precision:
``sqrt(eps(dtype)) * max|scan output|``. Reordered float arithmetic (another
fusion, another loop structure) stays far inside it; a wrong layer order,
a skipped layer or other weights do not.
"""

from __future__ import annotations

import math

import numpy as np

from hloscope.errors import HloscopeError


class EquivalenceError(HloscopeError):
    """A variant whose output differs from the scanned stack's (a failed point)."""

    exit_code = 1


def _flatten(value) -> tuple[np.ndarray, float]:
    """All leaves as one float64 vector, and the narrowest leaf dtype's eps."""
    import jax
    import jax.numpy as jnp

    leaves = [np.asarray(leaf) for leaf in jax.tree.leaves(value)]
    eps = max(
        (float(jnp.finfo(leaf.dtype).eps) for leaf in leaves if jnp.issubdtype(leaf.dtype, jnp.inexact)),
        default=float(jnp.finfo(jnp.float32).eps),
    )
    flat = np.concatenate([leaf.reshape(-1).astype(np.float64) for leaf in leaves]) if leaves else np.zeros(0)
    return flat, eps


def compare_outputs(reference, output) -> dict:
    """The ``equivalence`` record of ``output`` against the scanned ``reference``."""
    ref, eps = _flatten(reference)
    out, _ = _flatten(output)
    finite_ref = ref[np.isfinite(ref)]
    tolerance = math.sqrt(eps) * (float(np.max(np.abs(finite_ref))) if finite_ref.size else 0.0)
    if ref.shape != out.shape:
        return {"max_abs_diff": None, "ok": False, "tolerance": tolerance, "against": "scan",
                "mismatch": f"output has {out.size} values, scan's {ref.size}"}
    # Non-finite values must match exactly (NaN where NaN, same infinities).
    nonfinite = ~np.isfinite(ref) | ~np.isfinite(out)
    same_nonfinite = np.array_equal(np.isnan(ref), np.isnan(out)) and np.array_equal(
        ref[nonfinite & ~np.isnan(ref)], out[nonfinite & ~np.isnan(out)]
    )
    diff = np.abs(ref[~nonfinite] - out[~nonfinite])
    max_abs_diff = float(diff.max()) if diff.size else 0.0
    record = {"max_abs_diff": max_abs_diff, "ok": bool(same_nonfinite and max_abs_diff <= tolerance),
              "tolerance": tolerance, "against": "scan"}
    if not same_nonfinite:
        # Infinity is not JSON: say where the outputs part instead.
        record["mismatch"] = "NaN or infinite values differ from scan's"
    return record


def check_equivalence(spec, variant: str, layers: int, seed: int = 0) -> dict:
    """Run ``variant`` and ``scan`` once on the same parameters and input; compare."""
    import jax

    from hloscope.models.stacking import build_stack

    stack = build_stack(spec, layers, seed)
    x = spec.make_input()
    reference = _run(stack, "scan", x)
    output = _run(stack, variant, x)
    return compare_outputs(jax.device_get(reference), jax.device_get(output))


def _run(stack, variant: str, x):
    """Compile and run ``variant``'s forward over ``stack`` once."""
    import jax

    from hloscope.models.stacking import forward_of

    forward = forward_of(stack, variant, x)
    return jax.jit(forward.fn)(*forward.args)


def mismatch_reason(variant: str, record: dict) -> str:
    """One line for a failed equivalence check."""
    head = f"{variant} output differs from scan on the same parameters and input"
    if record.get("mismatch"):
        return f"{head}: {record['mismatch']}"
    return f"{head}: max |diff| {record['max_abs_diff']:.3g} > tolerance {record['tolerance']:.3g}"


# The scanned output of the last few (model, layers, seed), kept when a scan
# point runs so that the other variants of that layer count compare against
# it without compiling the scan again. Small: one forward output each.
_SCAN_OUTPUTS_KEPT = 2
_scan_outputs: dict[tuple, object] = {}


def remember_scan_output(key: tuple, output) -> None:
    """Keep the scanned stack's output (as host arrays) for ``key``."""
    import jax

    _scan_outputs.pop(key, None)
    _scan_outputs[key] = jax.device_get(output)
    while len(_scan_outputs) > _SCAN_OUTPUTS_KEPT:
        _scan_outputs.pop(next(iter(_scan_outputs)))


def point_checks(spec, variant: str, layers: int, seed: int = 0, output=None) -> tuple[dict | None, list[str]]:
    """Equivalence record (None for scan) and pitfall warnings for one point.

    ``output``, when given, is the variant's output already computed on the
    parameters ``build_stack(spec, layers, seed)`` builds and ``spec.make_input()``;
    it saves a compile. A scan point's output is kept for the variants after
    it; a variant that finds none (a fresh worker, a resumed run) runs the
    scan itself on those same parameters.
    """
    import jax

    from hloscope.models.checks import identical_layer_warnings
    from hloscope.models.stacking import cached_input, cached_stack, spec_key

    stack = cached_stack(spec, layers, seed)
    warnings = identical_layer_warnings(spec.name, stack.states[1], layers)
    key = (spec_key(spec), int(layers), int(seed))
    if variant == "scan":
        if output is not None:
            remember_scan_output(key, output)
        return None, warnings
    reference = _scan_outputs.get(key)
    if reference is None:
        reference = jax.device_get(_run(stack, "scan", cached_input(spec)))
        remember_scan_output(key, reference)
    if output is None:
        output = _run(stack, variant, cached_input(spec))
    return compare_outputs(reference, jax.device_get(output)), warnings
