"""What XLA's HLO parser accepts, as tables: opcodes, call attributes, enum values.

Source: XLA's ``xla/hlo/parser/hlo_parser.cc`` and ``xla/hlo/ir/hlo_opcode.h``
at the commit of jaxlib 0.10.2, checked against ``jaxlib._hlo``.
"""

from __future__ import annotations

# HloOpcodeString of every HloOpcode jaxlib 0.10.2 knows.
OPCODES = frozenset(
    """
    abs acos acosh add add-dependency after-all all-gather all-gather-done all-gather-start all-reduce
    all-reduce-done all-reduce-start all-to-all and asin asinh async-done async-start async-update atan2
    atanh batch-norm-grad batch-norm-inference batch-norm-training bitcast bitcast-convert broadcast call
    cbrt ceil cholesky clamp count-leading-zeros collective-broadcast collective-permute
    collective-permute-done collective-permute-start compare complex concatenate conditional constant
    convert convolution copy copy-done copy-start cosine cosh custom-call divide domain dot dynamic-reshape
    dynamic-slice dynamic-update-slice erf exponential exponential-minus-one fft floor fusion gather
    get-dimension-size get-tuple-element imag infeed iota is-finite log log-plus-one logistic map maximum
    minimum mulhi multiply negate not opt-barrier or outfeed pad parameter partition-id popcnt power
    ragged-all-to-all ragged-dot real recv recv-done reduce reduce-precision reduce-scatter reduce-window
    remainder replica-id reshape reverse rng rng-bit-generator rng-get-and-update-state round-nearest-afz
    round-nearest-even rsqrt scaled-dot scan scatter select select-and-scatter send send-done
    set-dimension-size shift-left shift-right-arithmetic shift-right-logical sign sine sinh slice sort
    sqrt stochastic-convert subtract tan tanh topk transpose triangular-solve tuple while xor
    """.split()
)

# XLA also reads ``OP-start``, ``OP-update`` and ``OP-done`` for any opcode OP
# as async-start, async-update and async-done wrapping OP.
ASYNC_SUFFIXES = ("-start", "-update", "-done")


def opcode_spellings() -> dict[str, str]:
    """Every opcode text XLA accepts, the async forms included, mapped to itself."""
    spellings = {op: op for op in OPCODES}
    for op in OPCODES:
        for suffix in ASYNC_SUFFIXES:
            spellings.setdefault(op + suffix, op + suffix)
    return spellings


def async_wrapped_opcode(opcode: str) -> str | None:
    """The opcode an ``OP-start``/``-update``/``-done`` sugar form wraps, else None.

    ``all-to-all-start`` wraps ``all-to-all``; ``all-gather-start``, a real
    opcode, wraps nothing.
    """
    if opcode in OPCODES:
        return None
    for suffix in ASYNC_SUFFIXES:
        if opcode.endswith(suffix) and opcode[: -len(suffix)] in OPCODES:
            return opcode[: -len(suffix)]
    return None


# Attributes that name called computations, and the call kind an edge carries.
CALL_KINDS = {
    "to_apply": "to_apply",
    "calls": "calls",
    "condition": "condition",
    "body": "body",
    "branch_computations": "branch",
    "true_computation": "branch",
    "false_computation": "branch",
    "called_computations": "calls",
    "select": "select",
    "scatter": "scatter",
}
# Those whose value is a braced list of computations; the others name one
# computation, or hold one inline: ``to_apply={ ... instructions ... }``.
CALL_LIST_ATTRIBUTES = frozenset({"branch_computations", "called_computations"})
