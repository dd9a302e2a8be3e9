"""Does a variant's training step compute what scan's does on the same parameters?

One step from the same parameters and optimizer state is compared on:

- the loss: ``|diff| <= sqrt(eps) * |scan's loss|``;
- the gradients (read from Adam's first moment): ``max |diff| <= sqrt(eps)
  * max |scan's gradient|``, one scale over every parameter;
- the updated parameters (``unroll``'s L separate modules stacked back along
  the layer axis): ``max |diff| <= sqrt(eps) * max |scan's parameter|``.

``eps`` is that of the parameters' narrowest floating dtype (float32:
sqrt(eps) = 3.5e-4). Reordered float arithmetic stays far inside these; a
wrong layer order, a skipped layer or another loss does not.

One exception, and why: Adam's first step moves a parameter by
``lr * g / (|g| + 1e-8)``, about the learning rate in the direction of its
gradient's sign, however small the gradient. A gradient that is zero up to
float noise (attention's key bias: softmax ignores a constant added to every
logit of a row, so its gradient is zero but for rounding) gets a step of
random sign, and two correct programs part by up to twice the learning rate
there. Parameters whose gradient lies within the gradient tolerance of zero
in scan's step are therefore held to that bound, ``2 * lr * (1 + weight_decay
* max |parameter|)``, and counted in ``zero_gradients``; every other
parameter to the tolerance above.
"""

from __future__ import annotations

import math

import numpy as np


def _eps(arrays) -> float:
    import jax.numpy as jnp

    return max((float(jnp.finfo(a.dtype).eps) for a in arrays if jnp.issubdtype(a.dtype, jnp.inexact)),
               default=float(jnp.finfo(jnp.float32).eps))


def _leaves(tree) -> list[np.ndarray]:
    import jax

    return [np.asarray(leaf) for leaf in jax.tree.leaves(tree)]


def _flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([a.reshape(-1).astype(np.float64) for a in arrays]) if arrays else np.zeros(0)


def _part(max_abs_diff: float, tolerance: float) -> dict:
    return {"max_abs_diff": max_abs_diff, "tolerance": tolerance, "ok": bool(max_abs_diff <= tolerance)}


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0:
        return 0.0
    diff = np.abs(a - b)
    # NaN anywhere is a difference too: it must not compare as "not greater".
    return math.inf if np.isnan(diff).any() else float(diff.max())


def compare_train_results(reference: dict, result: dict) -> dict:
    """The ``equivalence`` record of a training step's first result against scan's.

    Both are ``{"loss", "params", "gradients"}`` (hloscope.models.train.
    comparable_result). The record's ``max_abs_diff`` and ``tolerance`` are
    the updated parameters'; ``loss`` and ``gradients`` hold their own
    ``{"max_abs_diff", "tolerance", "ok"}``; ``zero_gradients`` the
    parameters whose gradient is zero up to float noise (see the module).
    """
    from hloscope.models.train import LEARNING_RATE, WEIGHT_DECAY

    ref_params, out_params = _leaves(reference["params"]), _leaves(result["params"])
    ref_grads, out_grads = _leaves(reference["gradients"]), _leaves(result["gradients"])
    record: dict = {"against": "scan", "compared": "loss, gradients and updated parameters"}
    shapes = [a.shape for a in ref_params], [a.shape for a in out_params]
    if shapes[0] != shapes[1] or [a.shape for a in ref_grads] != [a.shape for a in out_grads]:
        sizes = sum(a.size for a in out_params), sum(a.size for a in ref_params)
        return {**record, "max_abs_diff": None, "tolerance": None, "ok": False,
                "mismatch": f"{len(out_params)} parameter arrays of {sizes[0]} values, scan's {len(ref_params)} "
                            f"of {sizes[1]}"}
    root_eps = math.sqrt(_eps(ref_params))
    loss_ref = float(np.asarray(reference["loss"]))
    loss = _part(abs(loss_ref - float(np.asarray(result["loss"]))), root_eps * abs(loss_ref))
    g_ref, g_out = _flat(ref_grads), _flat(out_grads)
    g_tolerance = root_eps * (float(np.max(np.abs(g_ref))) if g_ref.size else 0.0)
    gradients = _part(_max_diff(g_ref, g_out), g_tolerance)
    p_ref, p_out = _flat(ref_params), _flat(out_params)
    scale = float(np.max(np.abs(p_ref))) if p_ref.size else 0.0
    zero = np.abs(g_ref) <= g_tolerance
    params = _part(_max_diff(p_ref[~zero], p_out[~zero]), root_eps * scale)
    bound = 2 * LEARNING_RATE * (1 + WEIGHT_DECAY * scale) + root_eps * scale
    noise = _part(_max_diff(p_ref[zero], p_out[zero]), bound)
    record.update(
        max_abs_diff=params["max_abs_diff"], tolerance=params["tolerance"],
        ok=bool(loss["ok"] and gradients["ok"] and params["ok"] and noise["ok"]),
        loss=loss, gradients=gradients,
        zero_gradients={"parameters": int(zero.sum()), "max_abs_diff": noise["max_abs_diff"], "bound": bound,
                        "ok": noise["ok"]},
    )
    clean, nonfinite = _finite(record)
    if nonfinite:
        clean["mismatch"] = "NaN or infinite values differ from scan's"
    return clean


def _finite(record: dict) -> tuple[dict, bool]:
    """The record with every non-finite float as None (JSON has no infinity), and whether there was one."""
    out, found = {}, False
    for key, value in record.items():
        if isinstance(value, dict):
            value, nested = _finite(value)
            found = found or nested
        elif isinstance(value, float) and not math.isfinite(value):
            value, found = None, True
        out[key] = value
    return out, found


def train_mismatch(record: dict) -> str:
    """What failed in a training step's record, in words: 'loss max |diff| 0.1 > tolerance 0.01'."""
    if record.get("mismatch"):
        return str(record["mismatch"])
    names = (("loss", "loss"), ("gradients", "gradients"), ("zero_gradients", "parameters with zero gradients"))
    for key, words in names:
        part = record.get(key) or {}
        if part.get("ok") is False:
            limit = part.get("tolerance", part.get("bound"))
            return f"{words} max |diff| {part['max_abs_diff']:.3g} > {'tolerance' if 'tolerance' in part else 'bound'} {limit:.3g}"
    return f"updated parameters max |diff| {record['max_abs_diff']:.3g} > tolerance {record['tolerance']:.3g}"
