"""What XLA's HLO parser accepts, as tables: opcodes, call attributes, enum values.

Source: XLA's ``xla/hlo/parser/hlo_parser.cc`` and ``xla/hlo/ir/hlo_opcode.h``
at the commit of jaxlib 0.10.2, checked against ``jaxlib._hlo``.
"""

from __future__ import annotations

from dataclasses import dataclass

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

# Opcodes whose operand count XLA's parser fixes: it refuses any other count
# at the ``(`` ("expects N operands, but has M operands").
OPERAND_COUNTS = {
    **dict.fromkeys(("iota", "partition-id", "replica-id", "rng-get-and-update-state"), 0),
    **dict.fromkeys(
        """
        abs acos acosh all-gather-done all-reduce-done asin asinh atanh bitcast bitcast-convert broadcast cbrt ceil
        cholesky collective-permute-done convert copy copy-done copy-start cosh cosine count-leading-zeros domain erf
        exponential exponential-minus-one fft floor get-dimension-size get-tuple-element imag infeed is-finite log
        log-plus-one logistic negate not opt-barrier popcnt real recv recv-done reduce-precision reshape reverse
        round-nearest-afz round-nearest-even rsqrt send-done sign sine sinh slice sqrt tan tanh topk transpose while
        """.split(),
        1,
    ),
    **dict.fromkeys(
        """
        add add-dependency and atan2 compare complex convolution divide gather maximum minimum mulhi multiply or
        outfeed pad power remainder send set-dimension-size shift-left shift-right-arithmetic shift-right-logical
        stochastic-convert subtract triangular-solve xor
        """.split(),
        2,
    ),
    **dict.fromkeys(("batch-norm-training", "clamp", "ragged-dot", "select", "select-and-scatter"), 3),
    "scaled-dot": 4,
    **dict.fromkeys(("batch-norm-grad", "batch-norm-inference"), 5),
}

# Attributes XLA's parser requires, by opcode; it names the first one missing
# in this (alphabetical) order, where the attribute list starts.
REQUIRED_ATTRIBUTES = {
    **dict.fromkeys(
        """
        all-gather all-gather-start broadcast concatenate get-dimension-size reverse set-dimension-size transpose
        """.split(),
        ("dimensions",),
    ),
    **dict.fromkeys("all-reduce all-reduce-start call map reduce-window".split(), ("to_apply",)),
    **dict.fromkeys(("collective-permute", "collective-permute-start"), ("source_target_pairs",)),
    **dict.fromkeys(("reduce", "reduce-scatter", "sort"), ("dimensions", "to_apply")),
    **dict.fromkeys(("batch-norm-grad", "batch-norm-inference", "batch-norm-training"), ("epsilon", "feature_index")),
    "compare": ("direction",),
    "convolution": ("dim_labels",),
    "custom-call": ("custom_call_target",),
    "domain": ("domain",),
    "dynamic-slice": ("dynamic_slice_sizes",),
    "fft": ("fft_length", "fft_type"),
    "fusion": ("calls", "kind"),
    "gather": ("collapsed_slice_dims", "index_vector_dim", "offset_dims", "slice_sizes", "start_index_map"),
    "get-tuple-element": ("index",),
    "iota": ("iota_dimension",),
    "pad": ("padding",),
    "reduce-precision": ("exponent_bits", "mantissa_bits"),
    "rng": ("distribution",),
    "rng-bit-generator": ("algorithm",),
    "rng-get-and-update-state": ("delta",),
    "scatter": (
        "index_vector_dim", "inserted_window_dims", "scatter_dims_to_operand_dims", "to_apply", "update_window_dims"
    ),
    "select-and-scatter": ("scatter", "select"),
    "slice": ("slice",),
    "topk": ("k",),
    "while": ("body", "condition"),
}

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


# Opcode spellings XLA reads as async-start: their shape must be ((operands), outputs, state).
ASYNC_START_OPCODES = frozenset(
    {"async-start", *(op + "-start" for op in OPCODES if op + "-start" not in OPCODES)}
)

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


@dataclass(frozen=True)
class EnumAttribute:
    """An attribute whose value XLA checks against a fixed set of names.

    ``what`` and ``detail`` make XLA's message: "expects {what} but sees:
    {value}" and, when XLA adds one, ", error: {detail}". ``fold_case``:
    XLA accepts any letter case. ``items``: the value is a braced list of
    such names (``operand_precision={high,default}``); ``field``: it is the
    named field of a braced value (``result_accuracy={mode=highest}``).
    """

    values: frozenset[str]
    what: str
    detail: str | None = None
    fold_case: bool = False
    items: bool = False
    field: str | None = None

    def message(self, value: str) -> str | None:
        """XLA's complaint about one name, or None when XLA accepts it."""
        if (value.lower() if self.fold_case else value) in self.values:
            return None
        text = f"expects {self.what} but sees: {value}"
        return f"{text}, error: {self.detail.format(value=value)}" if self.detail else text


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_DOT_ALGORITHMS = _names(
    "unset dot_any_f8_any_f8_f32 dot_any_f8_any_f8_f32_fast_accum dot_f16_f16_f16 dot_f16_f16_f32 "
    "dot_bf16_bf16_bf16 dot_bf16_bf16_f32 dot_bf16_bf16_f32_x3 dot_bf16_bf16_f32_x6 dot_bf16_bf16_f32_x9 "
    "dot_tf32_tf32_f32 dot_tf32_tf32_f32_x3 dot_f32_f32_f32 dot_f64_f64_f64"
)
_BOOL = EnumAttribute(_names("true false"), "true or false")
_BOOL_ATTRIBUTES = (
    "is_stable indices_are_sorted unique_indices constrain_layout use_global_device_ids is_host_transfer "
    "largest is_composite is_reverse is_associative custom_call_has_side_effect left_side lower unit_diagonal"
).split()

# Checked whatever the opcode: XLA rejects these names elsewhere anyway.
ENUM_ATTRIBUTES: dict[str, EnumAttribute] = {
    "fft_type": EnumAttribute(_names("FFT IFFT RFFT IRFFT"), "fft type"),
    "direction": EnumAttribute(_names("EQ NE GE GT LE LT"), "comparison direction"),
    "api_version": EnumAttribute(
        _names(
            "API_VERSION_UNSPECIFIED API_VERSION_ORIGINAL API_VERSION_STATUS_RETURNING "
            "API_VERSION_STATUS_RETURNING_UNIFIED API_VERSION_TYPED_FFI"
        ),
        "custom-call API version",
        "Unknown API version",
    ),
    "schedule": EnumAttribute(
        _names("SCHEDULE_NONE SCHEDULE_LATEST SCHEDULE_EARLIEST"), "custom-call schedule", "Unknown schedule"
    ),
    "padding_type": EnumAttribute(_names("PADDING_INVALID PADDING_VALID PADDING_SAME"), "padding type"),
    "distribution": EnumAttribute(
        _names("rng_invalid rng_uniform rng_normal"), "random distribution", "Unknown distribution", fold_case=True
    ),
    "operand_precision": EnumAttribute(
        _names("default high highest"), "precision", "Unknown precision", fold_case=True, items=True
    ),
    "convolution_kind": EnumAttribute(_names("fprop wgrad dgrad unset"), "convolution kind"),
    "mode": EnumAttribute(
        _names("cross_replica cross_partition cross_replica_and_partition flattened_id"),
        "collective op group mode",
        "Invalid collective op group mode: {value}",
    ),
    "result_accuracy": EnumAttribute(
        _names("default highest"), "ResultAccuracy type", "Unknown accuracy mode", fold_case=True, field="mode"
    ),
    # XLA reads this one through a proto and crashes on a name it lacks.
    "transpose_a": EnumAttribute(_names("TRANSPOSE_INVALID NO_TRANSPOSE TRANSPOSE ADJOINT"), "transpose type"),
    **dict.fromkeys(_BOOL_ATTRIBUTES, _BOOL),
}
# Checked only on these opcodes (after async sugar is taken off).
OPCODE_ENUM_ATTRIBUTES: dict[tuple[str, str], EnumAttribute] = {
    ("compare", "type"): EnumAttribute(_names("FLOAT TOTALORDER SIGNED UNSIGNED"), "comparison type"),
    ("fusion", "kind"): EnumAttribute(
        _names("kLoop kInput kOutput kCustom"), "fusion kind", "Unknown fusion kind: {value}"
    ),
    ("rng-bit-generator", "algorithm"): EnumAttribute(
        _names("rng_default rng_three_fry rng_philox"), "random algorithm", "Unknown algorithm", fold_case=True
    ),
    ("dot", "algorithm"): EnumAttribute(_DOT_ALGORITHMS, "algorithm", "Unknown algorithm", fold_case=True),
    ("scaled-dot", "algorithm"): EnumAttribute(_DOT_ALGORITHMS, "algorithm", "Unknown algorithm", fold_case=True),
}
# The custom-call API version XLA reads and then refuses, at the token after the instruction.
UNSPECIFIED_API_VERSION = "API_VERSION_UNSPECIFIED"


def enum_attribute(opcode: str, name: str) -> EnumAttribute | None:
    """The check XLA applies to attribute ``name`` of ``opcode``, if it is enum-valued."""
    rule = ENUM_ATTRIBUTES.get(name)
    if rule is None:
        rule = OPCODE_ENUM_ATTRIBUTES.get((async_wrapped_opcode(opcode) or opcode, name))
    return rule


ENUM_ATTRIBUTE_NAMES = tuple(dict.fromkeys([*ENUM_ATTRIBUTES, *(name for _, name in OPCODE_ENUM_ATTRIBUTES)]))

# The module header's attributes (XLA refuses others) and those that are booleans.
HEADER_ATTRIBUTES = frozenset(
    "alias_passthrough_params allow_spmd_sharding_propagation_to_output "
    "allow_spmd_sharding_propagation_to_parameters buffer_donor entry_computation_layout frontend_attributes "
    "input_output_alias is_scheduled num_partitions origin_recovery_table replica_count".split()
)
HEADER_BOOL_ATTRIBUTES = frozenset({"is_scheduled", "alias_passthrough_params"})
