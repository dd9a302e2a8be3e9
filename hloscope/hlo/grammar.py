"""What XLA's HLO parser accepts, as tables: opcodes, call attributes, enum values.

Source: XLA's ``xla/hlo/parser/hlo_parser.cc`` and ``xla/hlo/ir/hlo_opcode.h``
at the commit of jaxlib 0.10.2, checked against ``jaxlib._hlo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

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
    "async-start": ("calls",),
}

# Element types XLA's lexer reads in a shape (``f32[2]``): PrimitiveType names in lower case
# (OPAQUE_TYPE as ``opaque``), and the 1- and 2-bit integers.
PRIMITIVE_TYPES = frozenset(
    """
    pred s1 s2 s4 s8 s16 s32 s64 u1 u2 u4 u8 u16 u32 u64 f16 f32 bf16 f64 c64 c128 f4e2m1fn f8e3m4 f8e4m3
    f8e4m3b11fnuz f8e4m3fn f8e4m3fnuz f8e5m2 f8e5m2fnuz f8e8m0fnu opaque token
    """.split()
)
# Words XLA's lexer reads as keywords, never as a name written without ``%``.
NAME_KEYWORDS = PRIMITIVE_TYPES | frozenset(
    """
    true false inf nan HloModule ENTRY ROOT maximal replicated manual last_tile_dim_replicate unknown
    shard_as shard_like unreduced FileNames FunctionNames FileLocations StackFrames
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

# Attributes every instruction takes (XLA's ParseInstructionRhs); XLA refuses
# any attribute an opcode does not take: 'unexpected attribute "NAME"', at the name.
COMMON_ATTRIBUTES = frozenset(
    "backend_config control-predecessors frontend_attributes metadata origin parameter_replication sharding "
    "statistics".split()
)
_COLLECTIVE = "channel_id replica_groups"
_ALL_REDUCE = _COLLECTIVE + " constrain_layout mode to_apply use_global_device_ids"
_DOT = "lhs_batch_dims lhs_contracting_dims operand_precision rhs_batch_dims rhs_contracting_dims"
_ASYNC = "async_execution_thread"
# The attributes each opcode takes besides COMMON_ATTRIBUTES (XLA's
# CreateInstruction; cholesky and triangular-solve: their options' proto
# fields). An opcode missing here takes only the common ones.
_OPCODE_ATTRIBUTES: dict[str, str] = {
    **dict.fromkeys(
        """
        acos acosh asin asinh atanh cbrt cosh cosine erf exponential exponential-minus-one log log-plus-one logistic
        rsqrt sine sinh sqrt tan tanh
        """.split(),
        "result_accuracy",
    ),
    **dict.fromkeys(
        ("all-gather", "all-gather-start"), _COLLECTIVE + " constrain_layout dimensions use_global_device_ids"
    ),
    **dict.fromkeys(("all-reduce", "all-reduce-start"), _ALL_REDUCE),
    "reduce-scatter": _ALL_REDUCE + " dimensions",
    "all-to-all": _COLLECTIVE + " constrain_layout dimensions",
    "ragged-all-to-all": _COLLECTIVE + " dimensions",
    "collective-broadcast": _COLLECTIVE,
    **dict.fromkeys(("collective-permute", "collective-permute-start"), "channel_id slice_sizes source_target_pairs"),
    **dict.fromkeys(("recv", "recv-done", "send", "send-done"), "channel_id is_host_transfer"),
    "async-start": _ASYNC + " calls output_to_operand_aliasing",
    **dict.fromkeys(("async-update", "async-done"), _ASYNC + " calls"),
    **dict.fromkeys(("batch-norm-grad", "batch-norm-inference", "batch-norm-training"), "epsilon feature_index"),
    **dict.fromkeys(
        "broadcast concatenate get-dimension-size reverse set-dimension-size transpose".split(), "dimensions"
    ),
    "call": "is_composite to_apply",
    "cholesky": "lower",
    "triangular-solve": "left_side lower transpose_a unit_diagonal",
    "compare": "direction type",
    "convolution": (
        "batch_group_count convolution_kind dim_labels feature_group_count operand_precision sparsity_config window"
    ),
    "copy-start": "cross_program_prefetch_index",
    "custom-call": (
        "api_version batch_group_count called_computations custom_call_has_side_effect custom_call_target dim_labels "
        "feature_group_count literal operand_layout_constraints operand_precision output_to_operand_aliasing "
        "padding_type schedule to_apply window"
    ),
    "domain": "domain",
    **dict.fromkeys(("dot", "scaled-dot"), _DOT + " algorithm"),
    "ragged-dot": _DOT + " lhs_ragged_dims rhs_group_dims",
    "dynamic-slice": "dynamic_slice_sizes",
    "fft": "fft_length fft_type",
    "fusion": "calls kind output_to_operand_aliasing",
    "gather": (
        "collapsed_slice_dims index_vector_dim indices_are_sorted offset_dims operand_batching_dims slice_sizes "
        "start_index_map start_indices_batching_dims"
    ),
    "get-tuple-element": "index",
    "infeed": "infeed_config",
    "outfeed": "outfeed_config outfeed_shape",
    "iota": "iota_dimension",
    **dict.fromkeys(("map", "reduce"), "dimensions to_apply"),
    "pad": "padding",
    "reduce-precision": "exponent_bits mantissa_bits",
    "reduce-window": "to_apply window",
    "reshape": "inferred_dimension",
    "rng": "distribution",
    "rng-bit-generator": "algorithm",
    "rng-get-and-update-state": "delta",
    "scan": "dimensions is_associative is_reverse num_carries to_apply",
    "scatter": (
        "index_vector_dim indices_are_sorted input_batching_dims inserted_window_dims scatter_dims_to_operand_dims "
        "scatter_indices_batching_dims to_apply unique_indices update_window_dims"
    ),
    "select-and-scatter": "scatter select window",
    "slice": "slice",
    "sort": "dimensions is_stable to_apply",
    "topk": "k largest",
    "while": "body condition",
}
# A conditional's attributes follow its first operand's type: a pred picks
# one of two computations, an s32 indexes a list.
_CONDITIONAL_PRED = "false_computation true_computation"
_CONDITIONAL_INDEX = "branch_computations"
# Opcodes whose attributes depend on their first operand's shape: a conditional's (above), and
# a broadcast of a scalar needs no dimensions.
FIRST_OPERAND_OPCODES = frozenset({"conditional", "broadcast"})


def _attribute_set(extra: str) -> frozenset[str]:
    return COMMON_ATTRIBUTES | frozenset(extra.split())


_ALLOWED = {op: _attribute_set(_OPCODE_ATTRIBUTES.get(op, "")) for op in OPCODES}
_ALLOWED_CONDITIONAL = {True: _attribute_set(_CONDITIONAL_PRED), False: _attribute_set(_CONDITIONAL_INDEX)}


@cache
def allowed_attributes(opcode: str, first_operand_shape: str | None = None) -> frozenset[str]:
    """The attribute names XLA's parser takes on ``opcode`` (any async sugar form included).

    ``first_operand_shape`` (``pred[]``) matters to ``conditional`` alone;
    None (not known yet) gives the attributes of both its forms.
    ``OP-start`` takes OP's attributes and the async-start ones (not
    ``calls``: XLA builds the wrapped computation itself); ``OP-update`` and
    ``OP-done`` take the async-done ones (not ``calls`` either).
    """
    wrapped = async_wrapped_opcode(opcode)
    base = opcode if wrapped is None else wrapped
    if base == "conditional" and first_operand_shape is None:
        allowed = _ALLOWED_CONDITIONAL[True] | _ALLOWED_CONDITIONAL[False]
    elif base == "conditional":
        allowed = _ALLOWED_CONDITIONAL[first_operand_shape.startswith("pred[")]
    else:
        allowed = _ALLOWED.get(base, COMMON_ATTRIBUTES)
    if wrapped is None:
        return allowed
    if opcode.endswith("-start"):
        return allowed | {_ASYNC, "output_to_operand_aliasing"}
    return COMMON_ATTRIBUTES | {_ASYNC}


@cache
def required_attributes(opcode: str, first_operand_shape: str | None = None) -> tuple[str, ...]:
    """The attributes XLA requires on ``opcode``, in the order it names a missing one.

    ``first_operand_shape`` as for ``allowed_attributes``: with None, a
    conditional requires nothing here (its callers check its computations)
    and a broadcast its dimensions. ``OP-start`` requires OP's attributes,
    ``OP-update`` and ``OP-done`` none.
    """
    wrapped = async_wrapped_opcode(opcode)
    if wrapped is not None:
        return required_attributes(wrapped, first_operand_shape) if opcode.endswith("-start") else ()
    if opcode == "conditional":
        if first_operand_shape is None:
            return ()
        names = _CONDITIONAL_PRED if first_operand_shape.startswith("pred[") else _CONDITIONAL_INDEX
        return tuple(sorted(names.split()))
    if opcode == "broadcast" and first_operand_shape is not None and is_scalar(first_operand_shape):
        return ()
    return REQUIRED_ATTRIBUTES.get(opcode, ())


def is_scalar(shape: str) -> bool:
    """Whether a shape's text (``pred[]``, ``f32[]{:T(128)}``) is an array of rank 0."""
    bracket = shape.find("[")
    return bracket > 0 and shape.startswith("[]", bracket) and shape[0] != "(" and not shape.startswith("token")


def conditional_operand_error(first_operand_shape: str) -> str | None:
    """XLA's complaint about a conditional's first operand (a scalar pred or s32), or None."""
    if not is_scalar(first_operand_shape):
        return "The first operand must be a scalar"
    if not first_operand_shape.startswith(("pred[", "s32[")):
        return "The first operand must be a scalar of PRED or S32"
    return None


def unexpected_attribute_message(name: str, allowed: frozenset[str]) -> str:
    """XLA's message for attribute ``name`` on an instruction that takes ``allowed``."""
    return f'unexpected attribute "{name}". Allowed attributes: {", ".join(sorted(allowed))}'
