"""Windows of convolutions and reduce-windows, read for FLOP counting (``hloscope.hlo.flops``)."""

from __future__ import annotations

# Counting a convolution's valid kernel positions walks kernel x output
# positions; no real convolution comes near this.
_MAX_WINDOW_STEPS = 10_000_000


class Unreadable(ValueError):
    """An instruction's shapes or attributes cannot be read."""


def window_dims(raw: str | None) -> list[dict[str, int]]:
    """``{size=3x3 stride=2x2 pad=1_1x0_0 lhs_dilate=.. rhs_dilate=..}`` -> one dict per dimension."""
    fields: dict[str, list] = {}
    try:
        for item in (raw or "").strip("{} ").split():
            key, _, value = item.partition("=")
            if key == "pad":
                fields[key] = [[int(x) for x in part.split("_")][:2] for part in value.split("x")]
            else:
                fields[key] = [int(x) for x in value.split("x")]
    except ValueError:
        raise Unreadable() from None
    if any(len(values) != len(fields.get("size", [])) for values in fields.values()):
        raise Unreadable()
    dims = []
    for i, size in enumerate(fields.get("size", [])):
        pad = fields.get("pad", [[0, 0]] * (i + 1))[i]
        dims.append(
            {
                "size": size,
                "stride": fields.get("stride", [1] * (i + 1))[i],
                "pad_low": pad[0],
                "pad_high": pad[1],
                "base_dilation": fields.get("lhs_dilate", [1] * (i + 1))[i],
                "window_dilation": fields.get("rhs_dilate", [1] * (i + 1))[i],
            }
        )
    return dims


def valid_positions(window: dict[str, int], kernel: int, output: int, inputs: int) -> int:
    """Kernel positions that meet the input along one spatial dimension (XLA's GetConvolutionFlops)."""
    if kernel * max(output, 1) > _MAX_WINDOW_STEPS or min(window["stride"], window["base_dilation"], window["window_dilation"]) < 1:
        raise Unreadable()
    if (
        inputs == output == kernel == window["base_dilation"]
        and window["window_dilation"] == 1
        and max(1, inputs - 1) == window["stride"]
        and window["pad_low"] == window["pad_high"] == 0
    ):
        return inputs
    if (
        inputs == 1
        and kernel == output
        and window["window_dilation"] == window["base_dilation"] == window["stride"] == 1
        and window["pad_high"] == window["pad_low"] == output - 1
    ):
        return output
    count = 0
    for kernel_index in range(kernel):
        if window["stride"] == 1 and window["base_dilation"] == 1:
            base = window["pad_low"] - kernel_index * window["window_dilation"]
            count += max(min(inputs + base, output) - max(base, 0), 0)
            continue
        for output_index in range(output):
            undilated = output_index * window["stride"] - window["pad_low"] + kernel_index * window["window_dilation"]
            lhs_index = undilated // window["base_dilation"] if window["base_dilation"] > 1 else undilated
            if undilated != lhs_index * window["base_dilation"] or not 0 <= lhs_index < inputs:
                continue
            count += 1
    return count
