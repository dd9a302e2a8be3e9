"""Text XLA's parser refuses for reasons beyond its grammar is refused as XLA refuses it.

Each case is a kind of disagreement found by reading XLA's own test and
benchmark modules with both parsers (``python tests/xla_reference.py DIR``),
reduced to a few lines: element types XLA does not know, names XLA reads as
keywords, operands that are neither defined names nor nested instructions,
control predecessors defined later or not at all, async chains that do not
hold together, result_accuracy fields, a non-tuple infeed. XLA
(run out of process by ``xla_reference``) is the reference: the same verdict,
line and column, and XLA's message first. Each text runs as written (the
fast path where it can) and with its instructions wrapped over lines (the
full reader).
"""

from __future__ import annotations

import pytest

from hloscope.hlo import HloParseError, parse_hlo
from xla_reference import as_written_and_wrapped, assert_read_as_xla, verdicts_by_text, xla_parse


def _module(*lines: str) -> str:
    return "HloModule m\n\nENTRY e {\n" + "".join(f"  {line}\n" for line in lines) + "}\n"


def _header(attribute: str) -> str:
    return _module(
        "p = (f32[], f32[]) parameter(0)", "a = f32[] get-tuple-element(p), index=0",
        "b = f32[] get-tuple-element(p), index=1", "ROOT t = (f32[], f32[]) tuple(a, b)",
    ).replace("HloModule m", f"HloModule m, {attribute}")


ASYNC_COMPUTATION = """HloModule m

wrapped {
  a = f32[2,3] parameter(0)
  ROOT c = f32[3,2] custom-call(a), custom_call_target="foo"
}
"""

CASES = {
    # Element types: only those XLA's lexer knows start a shape.
    "unknown type in an instruction's shape": _module("x = g32[] parameter(0)"),
    "unknown type in a tuple shape": _module("x = (f32[], q8[]) parameter(0)"),
    "unknown type on an operand": _module("x = f32[] parameter(0)", "ROOT a = f32[] negate(g32[] x)"),
    # XLA reads a computation's signature before its body: a type it refuses there is reported there first.
    "unknown type in a signature and its parameter": _module("ROOT x = g32[]{} parameter(0)").replace(
        "ENTRY e", "ENTRY e (x: g32[]) -> g32[]"
    ),
    "unknown type in a signature's result and the root": _module(
        "x = (f32[], f32[]) parameter(0)", "a = f32[] get-tuple-element(x), index=0", "ROOT y = q8[2]{0} convert(a)"
    ).replace("ENTRY e", "ENTRY e (x: (f32[], f32[])) -> q8[2]{0}"),
    "every type XLA knows": _module(
        "a = (pred[], s1[], s2[], s4[], u1[], u2[], u4[], f4e2m1fn[], f8e3m4[], f8e4m3[], f8e8m0fnu[]) parameter(0)",
        "b = (f8e4m3b11fnuz[], f8e4m3fn[], f8e4m3fnuz[], f8e5m2[], f8e5m2fnuz[], bf16[], c128[], opaque[]) parameter(1)",
        "ROOT t = token[] after-all()",
    ),
    # Layouts: dim level types D(...) are D, C, S or H, each with + then ~; a physical shape P(...) XLA refuses
    # on every array ("not for a sparse array", after the shape, the layout as XLA prints it).
    "a dim level type XLA does not know": _module("ROOT p = f32[10,10]{1,0:D(X,C)} parameter(0)"),
    "a dim level type of two letters": _module("ROOT p = f32[10,10]{1,0:D(D,CS)} parameter(0)"),
    "dim level types with ~ before +": _module("ROOT p = f32[10,10]{1,0:D(D,C~+)} parameter(0)"),
    "dim level types as XLA reads them": _module(
        "p = f32[10,10]{1,0:D(D,C+~)T(8,128)} parameter(0)", "ROOT q = f32[10,10]{1,0:D(S,H)E(32)} negate(p)"
    ),
    "a physical shape": _module("ROOT p = f32[10,10]{1,0:T(128,8)P(f32[10,10])} parameter(0)"),
    "a physical shape with dim level types": _module("ROOT p = f32[10]{0:D(C)P(s32[10])} parameter(0)"),
    "a physical shape in a tuple": _module("ROOT p = (f32[10,10]{1,0:P(f32[2,3,4])}, f32[]) parameter(0)"),
    # Names: XLA's lexer reads keywords and element types as no name; %f32 is a name XLA refuses.
    "a shape where the name goes": _module("x = f32[] parameter(0)", "f32[] add(x, x)"),
    "a keyword as a computation name": (
        "HloModule m\n\nf32 {\n  x = f32[] parameter(0)\n}\n\nENTRY e {\n  ROOT y = f32[] parameter(0)\n}\n"
    ),
    "a keyword after % is a name": _module("%true = f32[] parameter(0)"),
    # Names defined twice: XLA reports the second definition, and another computation may use the name.
    "an instruction defined twice, its name used in another computation": (
        "HloModule m\n\nf {\n  a = f32[] parameter(0)\n  ROOT b = f32[] negate(a)\n}\n\n"
        + _module("a = f32[] parameter(0)", "a = f32[] parameter(1)", "ROOT x = f32[] add(a, a)").split("\n\n", 1)[1]
    ),
    "a computation defined twice, named with %": (
        "HloModule m\n\n%f {\n  ROOT %a = f32[] parameter(0)\n}\n\n%f {\n  ROOT %a = f32[] parameter(0)\n}\n\n"
        + _module("ROOT x = f32[] parameter(0)").split("\n\n", 1)[1]
    ),
    "a branch computation that does not exist, named with %": (
        "HloModule m\n\n%b1 (x: f32[]) -> f32[] {\n  ROOT %x = f32[] parameter(0)\n}\n\n"
        "ENTRY %e (i: s32[], v: f32[]) -> f32[] {\n  %i = s32[] parameter(0)\n  %v = f32[] parameter(1)\n"
        "  ROOT %c = f32[] conditional(%i, %v, %v), branch_computations={%b1, %nope}\n}\n"
    ),
    "the entry defined twice, named with %": (
        "HloModule m\n\n%e {\n  ROOT %a = f32[] parameter(0)\n}\n\nENTRY %e {\n  ROOT %a = f32[] parameter(0)\n}\n"
    ),
    "a keyword as a parameter name in a signature": (
        "HloModule m\n\nENTRY e (true: f32[]) -> f32[] {\n  ROOT x = f32[] parameter(0)\n}\n"
    ),
    # Operands: text that is neither a defined name nor a nested instruction.
    "a typed operand not defined": _module("x = f32[] parameter(0)", "ROOT a = f32[] add(f32[] x, f32[] y)"),
    "a typed operand without a name": _module("x = f32[] parameter(0)", "ROOT a = f32[] add(f32[] x, f32[])"),
    "an operand not defined": _module("x = f32[] parameter(0)", "ROOT a = f32[] add(x, y)"),
    "an operand not defined in a single instruction's inline computation": (
        "r = f32[] reduce(f32[10], f32[]), dimensions={0}, to_apply=\n{\n  s = f32[] add(f32[] x, f32[] y)\n}"
    ),
    # An empty operand XLA skips (``add(p, p,)``), noting an error it reports first once the text fails, even later.
    "an operand list with a trailing comma": _module("p = f32[] parameter(0)", "ROOT a = f32[] add(p, p,)"),
    "an operand list with empty operands": _module("p = f32[] parameter(0)", "ROOT a = (f32[], f32[]) tuple(, p,, p ,)"),
    "no operand between commas": _module("p = f32[] parameter(0)", "ROOT a = f32[] negate(,)"),
    "an empty operand, then an undefined one": _module(
        "p = f32[] parameter(0)", "a = f32[] negate(f32[] p,)", "ROOT b = f32[] negate(q)"
    ),
    "an empty operand, then an operand count": _module("p = f32[] parameter(0)", "ROOT a = f32[] add(, p)"),
    # XLA's lexer reads a name with ``=`` right after it as an attribute name: where a name or an attribute
    # name is expected, it says so there.
    "a name with = right after it": _module("p= f32[] parameter(0)"),
    "a computation name with = right after it": "HloModule m\n\ne= {\n  ROOT x = f32[] parameter(0)\n}\n",
    "attributes without a comma between them": _module(
        "p = (f32[]) parameter(0)", "ROOT g = f32[] get-tuple-element(p), index=0 sharding={replicated}"
    ),
    "a name where an attribute goes": _module("p = f32[] parameter(0)", "ROOT n = f32[] negate(p), foo"),
    "a keyword where an attribute goes": _module("p = f32[] parameter(0)", "ROOT n = f32[] negate(p), ROOT"),
    "a name where a header attribute goes": _header("foo"),
    "a header ending with a comma": _module("ROOT p = f32[] parameter(0)").replace("HloModule m", "HloModule m, is_scheduled=true,"),
    # An element type is a shape only with its dimensions.
    "an element type without dimensions": _module("ROOT p = f32 parameter(0)"),
    "an element type without dimensions in a tuple": _module("ROOT p = (f32, s32[]) parameter(0)"),
    "an element type apart from its dimensions": _module(
        "p = f32 [2] parameter(0)", "ROOT t = (f32 [2], s32[]) tuple(f32 /*dims*/ [2] p, s32[] constant(1))"
    ),
    # Integer attributes and braced lists of them: XLA reads each value as it meets it.
    "an index that is no integer": _module("p = (f32[]) parameter(0)", "ROOT g = f32[] get-tuple-element(p), index=x"),
    "a channel id that is no integer, before a missing computation": _module(
        "p = f32[] parameter(0)", "ROOT a = f32[] all-reduce(p), channel_id=1.5, to_apply=nowhere"
    ),
    "an iota dimension past int64": _module("ROOT i = f32[4] iota(), iota_dimension=99999999999999999999"),
    "integers as XLA reads them": _module(
        "p = (f32[4]) parameter(0)", "g = f32[4] get-tuple-element(p), index=-0",
        "ROOT r = f32[4] reduce-precision(g), exponent_bits=9999999999, mantissa_bits=-1",
    ),
    "dimensions with a trailing comma": _module("p = f32[4] parameter(0)", "ROOT b = f32[4,4] broadcast(p), dimensions={0,}"),
    "dimensions without braces": _module("p = f32[4] parameter(0)", "ROOT b = f32[4,4] broadcast(p), dimensions=0"),
    "dimensions with a decimal": _module("p = f32[4] parameter(0)", "ROOT b = f32[4,4] broadcast(p), dimensions={1.5}"),
    "dimensions with a name": _module("p = f32[4] parameter(0)", "ROOT b = f32[4,4] broadcast(p), dimensions={a}"),
    "dimensions as XLA reads them": _module(
        "p = f32[4] parameter(0)", "ROOT b = f32[4,4] broadcast(p), dimensions={ 0 , -1 }"
    ),
    "contracting dimensions without a comma": _module(
        "a = f32[2,2] parameter(0)", "ROOT d = f32[2,2] dot(a, a), lhs_contracting_dims={0 1}, rhs_contracting_dims={0}"
    ),
    # String and float attributes (XLA takes a single-quoted string too; nan, but not inf, as a float).
    "a custom-call target that is no string": _module("p = f32[4] parameter(0)", "ROOT c = f32[4] custom-call(p), custom_call_target=foo"),
    "an outfeed config that is no string": _module(
        "p = f32[4] parameter(0)", "t = token[] after-all()", "ROOT o = token[] outfeed(p, t), outfeed_config=1"
    ),
    "strings as XLA reads them": _module(
        "p = f32[4] parameter(0)", "ROOT c = f32[4] custom-call(p), custom_call_target='foo', backend_config=\"\""
    ),
    "an epsilon that is no number": _module(
        "a = f32[2,2] parameter(0)", "s = f32[2] parameter(1)", "o = f32[2] parameter(2)",
        'ROOT b = (f32[2,2], f32[2], f32[2]) batch-norm-training(a, s, o), epsilon="1", feature_index=1',
    ),
    "an epsilon past a float": _module(
        "a = f32[2,2] parameter(0)", "s = f32[2] parameter(1)", "o = f32[2] parameter(2)",
        "ROOT b = (f32[2,2], f32[2], f32[2]) batch-norm-training(a, s, o), epsilon=inf, feature_index=1",
    ),
    "floats as XLA reads them": _module(
        "a = f32[2,2] parameter(0)", "s = f32[2] parameter(1)", "o = f32[2] parameter(2)",
        "t = (f32[2,2], f32[2], f32[2]) batch-norm-training(a, s, o), epsilon=nan, feature_index=1",
        "ROOT b = (f32[2,2], f32[2], f32[2]) batch-norm-training(a, s, o), epsilon=-1E+5, feature_index=1",
    ),
    "a replica count that is no integer": _header("replica_count=abc"),
    "a partition count that is no integer": _header("num_partitions=1.5, replica_count=2"),
    "header integers as XLA reads them": _header("replica_count=2, num_partitions=-1"),
    # metadata={...}: fields XLA knows, each once, strings and int32 source positions.
    "metadata with a field XLA does not know": _module('ROOT p = f32[] parameter(0), metadata={op_name="a" foo="x"}'),
    "metadata with a name that is no string": _module("ROOT p = f32[] parameter(0), metadata={op_name=abc}"),
    "metadata with a line that is no integer": _module('ROOT p = f32[] parameter(0), metadata={source_line="3"}'),
    "metadata with a line past int32": _module("ROOT p = f32[] parameter(0), metadata={source_line=99999999999}"),
    "metadata without braces": _module('ROOT p = f32[] parameter(0), metadata="x"'),
    "metadata as XLA reads it": _module(
        'p = f32[] parameter(0), metadata={op_type="Mul", op_name="f/mul" source_file="a.py" source_line=-1 stack_frame_id=4}',
        "ROOT n = f32[] negate(p), metadata={profile_type={1,2} scheduling_name='s'}",
    ),
    # Replica groups and source-target pairs ({{...}, ...}) and slice ranges ({[a:b:c], ...}) as XLA reads them.
    "replica groups of integers, not groups": ASYNC_COMPUTATION.replace("wrapped", "f") + _module(
        "p = f32[4] parameter(0)", "ROOT a = f32[4] all-reduce(p), replica_groups={0,1}, to_apply=f"
    ).replace("HloModule m\n", ""),
    "replica groups with a trailing comma": ASYNC_COMPUTATION.replace("wrapped", "f") + _module(
        "p = f32[4] parameter(0)", "ROOT a = f32[4] all-reduce(p), replica_groups={{0,1},}, to_apply=f"
    ).replace("HloModule m\n", ""),
    "source-target pairs with a name": _module(
        "p = f32[4] parameter(0)", "ROOT c = f32[4] collective-permute(p), source_target_pairs={{a,1}}"
    ),
    # Each source-target pair two integers: XLA checks them once the attributes are read, where they end.
    "a source-target pair of three": _module(
        "p = f32[4] parameter(0)", "ROOT c = f32[4] collective-permute(p), source_target_pairs={{0,1,2}}, channel_id=1"
    ),
    "a source-target pair of one before another instruction": _module(
        "p = f32[4] parameter(0)", "s = (f32[4], f32[4], u32[], u32[]) collective-permute-start(p), source_target_pairs={{0,1},{0}}",
        "ROOT d = f32[4] collective-permute-done(s)",
    ),
    "a profile_type that is no integer list": _module('ROOT p = f32[] parameter(0), metadata={op_name="x" profile_type={relative}}'),
    "groups as XLA reads them": _module(
        "p = f32[4] parameter(0)", "c = f32[4] collective-permute(p), source_target_pairs={ {0, 1}, {1,0} }",
        "ROOT g = f32[8] all-gather(c), dimensions={0}, replica_groups=[2,2]<=[2,2]T(1,0)",
    ),
    "a slice range with commas": _module("p = f32[4] parameter(0)", "ROOT s = f32[2] slice(p), slice={[0,2]}"),
    "a slice range of four": _module("p = f32[4] parameter(0)", "ROOT s = f32[2] slice(p), slice={[0:2:1:1]}"),
    "slice ranges without a comma": _module(
        "p = f32[4,4] parameter(0)", "ROOT s = f32[2,1] slice(p), slice={[0:2] [0:1]}"
    ),
    "slice ranges as XLA reads them": _module(
        "p = f32[4,4] parameter(0)", "ROOT s = f32[2,2] slice(p), slice={ [0 : 4 : 2], [-1:1]}"
    ),
    # frontend_attributes={name="string", ...}: another value XLA reports at the attribute's name.
    "frontend attributes with a name only": _module("ROOT p = f32[] parameter(0), frontend_attributes={a}"),
    "frontend attributes with a value that is no string": _module("ROOT p = f32[] parameter(0), frontend_attributes={a=b}"),
    "frontend attributes without a comma": _module('ROOT p = f32[] parameter(0), frontend_attributes={a="b" c="d"}'),
    "frontend attributes without braces": _module('ROOT p = f32[] parameter(0), frontend_attributes="a"'),
    "frontend attributes as XLA reads them": _module(
        "p = f32[] parameter(0), frontend_attributes={a.b-c=\"x\", a='y',_d={e=\"f\"}}",
        "ROOT n = f32[] negate(p), frontend_attributes={}",
    ),
    # Shapes: no empty item in dimensions, a layout's order or a tuple; integers in a layout's order.
    "dimensions with a trailing comma": _module("ROOT p = f32[2,] parameter(0)"),
    "dimensions with two commas": _module("ROOT p = f32[<=2,,3] parameter(0)"),
    "a dimension past int64": _module("ROOT p = f32[99999999999999999999] parameter(0)"),
    "a layout with a trailing comma": _module("ROOT p = f32[2,3]{1,0,} parameter(0)"),
    "a layout with a name": _module("ROOT p = f32[2,3]{1,a} parameter(0)"),
    "a layout without a comma": _module("ROOT p = f32[2,3]{1 0} parameter(0)"),
    "a tuple with a trailing comma": _module("ROOT p = (f32[], ) parameter(0)"),
    "a tuple with a leading comma": _module("ROOT p = (, f32[]) parameter(0)"),
    "shapes as XLA reads them": _module("ROOT p = (f32[ 2 , <=3 ]{ 1 , 0 :T(2,128)}, s32[?]{0}, ()) parameter(0)"),
    # A tuple's operands as many as its written shape holds (XLA checks it at the '(').
    "a tuple with fewer operands than its shape": _module("p = f32[] parameter(0)", "ROOT t = (f32[], f32[]) tuple(p)"),
    "a tuple with more operands than its shape": _module("p = f32[] parameter(0)", "ROOT t = ((f32[], f32[])) tuple(p, p)"),
    "an empty tuple with an operand": _module("p = f32[] parameter(0)", "ROOT t = () tuple(p)"),
    "tuples as XLA reads them": _module(
        "p = f32[] parameter(0)", "t = (f32[], (f32[], f32[]), /*index=2*/f32[]) tuple(p, (f32[], f32[]) tuple(p, p), p)",
        "ROOT u = tuple(p, t)",
    ),
    # Nested instructions take no attributes, so none XLA requires; what fails in one, XLA reports
    # where the outermost nested instruction starts.
    "a nested broadcast of an array": _module(
        "p = f32[10] parameter(0)", "ROOT r = f32[10,10] sqrt(f32[10,10] broadcast(f32[10] p))"
    ),
    "a nested broadcast of a scalar": _module("ROOT r = f32[10,10] sqrt(f32[10,10] broadcast(f32[] constant(1)))"),
    "a nested get-tuple-element": _module(
        "p = f32[10] parameter(0)", "ROOT r = f32[10] sqrt(f32[10] get-tuple-element((f32[10]) tuple(p)))"
    ),
    "an operand not defined two nested instructions deep": _module(
        "p = f32[10] parameter(0)", "ROOT r = f32[10] sqrt(f32[10] negate(f32[10] abs(f32[10] q)))"
    ),
    "an operand count two nested instructions deep": _module(
        "p = f32[10] parameter(0)", "ROOT r = f32[10] sqrt(f32[10] negate(f32[10] add(f32[10] p)))"
    ),
    # Control predecessors: each defined before the instruction that names it.
    "a control predecessor not defined": _module(
        "x = f32[] parameter(0)", "ROOT a = f32[] negate(x), control-predecessors={y}"
    ),
    "a control predecessor defined later": _module(
        "x = f32[] parameter(0)", "a = f32[] negate(x), control-predecessors={b}", "ROOT b = f32[] negate(x)"
    ),
    "no control predecessor in the braces": _module(
        "x = f32[] parameter(0)", "ROOT a = f32[] negate(x), control-predecessors={}"
    ),
    "control predecessors defined before": _module(
        "x = f32[] parameter(0)",
        "a = f32[] negate(x)",
        "b = f32[] abs(x)",
        "ROOT c = f32[] negate(x), control-predecessors={%a, b}",
    ),
    # Async chains: an update or done continues a start (or update) of the same op, thread and computation.
    "async-done of no async op": _module(
        "p = f32[2,3] parameter(0)", "q = u32[] parameter(1)", "t = ((f32[2,3]), f32[2,3], u32[]) tuple(p, p, q)",
        "ROOT d = f32[2,3] custom-call-done(t)",
    ),
    "async-update of another shape": ASYNC_COMPUTATION + _module(
        "p = f32[2,3] parameter(0)", "s = ((f32[2,3]), f32[3,2], s32[]) async-start(p), calls=wrapped",
        "u = (f32[2,3], f32[3,2], s32[]) async-update(s)", "ROOT d = f32[3,2] async-done(u)",
    ).replace("HloModule m\n", ""),
    "async-update of another op": _module(
        "p = f32[10] parameter(0)", 's = ((f32[10]), f32[20], s32[]) custom-call-start(p), custom_call_target="foo"',
        "u = ((f32[10]), f32[20], s32[]) add-update(s)", "ROOT d = f32[20] custom-call-done(u)",
    ),
    "async-done on another thread": _module(
        "p = f32[10] parameter(0)", 's = ((f32[10]), f32[20], s32[]) custom-call-start(p), custom_call_target="foo"',
        'ROOT d = f32[20] custom-call-done(s), async_execution_thread="other"',
    ),
    "async-done of another computation": ASYNC_COMPUTATION + ASYNC_COMPUTATION.replace("wrapped", "other").replace(
        "HloModule m\n", ""
    ) + _module(
        "p = f32[2,3] parameter(0)", "s = ((f32[2,3]), f32[3,2], s32[]) async-start(p), calls=wrapped",
        "ROOT d = f32[3,2] async-done(s), calls=other",
    ).replace("HloModule m\n", ""),
    "an async chain as XLA reads it": ASYNC_COMPUTATION + _module(
        "p = f32[2,3] parameter(0)", 's = ((f32[2,3]), f32[3,2], s32[]) async-start(p), calls=wrapped, async_execution_thread="t"',
        "u = ((f32[2,3]), f32[3,2], s32[]) async-update(s), calls=wrapped", 'ROOT d = f32[3,2] async-done(u), async_execution_thread="t"',
    ).replace("HloModule m\n", ""),
    "a computation an async-start and a call both call": ASYNC_COMPUTATION + _module(
        "p = f32[2,3] parameter(0)", "s = ((f32[2,3]), f32[3,2], s32[]) async-start(p), calls=wrapped",
        "d = f32[3,2] async-done(s)", "ROOT c = f32[3,2] call(p), to_apply=wrapped",
    ).replace("HloModule m\n", ""),
    # result_accuracy holds one field: mode=NAME, or tolerance={rtol=X, atol=X, ulps=N}.
    "result_accuracy without a field name": _module("p = f32[] parameter(0)", "ROOT x = f32[] exponential(p), result_accuracy={0.5}"),
    "result_accuracy with another field": _module("p = f32[] parameter(0)", "ROOT x = f32[] exponential(p), result_accuracy={foo=1}"),
    "result_accuracy with two fields": _module(
        "p = f32[] parameter(0)", "ROOT x = f32[] exponential(p), result_accuracy={mode=highest, tolerance={rtol=0.5}}"
    ),
    "result_accuracy with another tolerance": _module(
        "p = f32[] parameter(0)", "ROOT x = f32[] exponential(p), result_accuracy={tolerance={rtol=0.5, bad=1.0}}"
    ),
    "result_accuracy with a tolerance": _module(
        "p = f32[] parameter(0)", "ROOT x = f32[] exponential(p), result_accuracy={tolerance={rtol=0.5, atol=1.0, ulps=2}}"
    ),
    # The header's input_output_alias and buffer_donor, read token by token as XLA reads them.
    "an alias output index not closed": _header("input_output_alias={ {0 : (0, {0}) }"),
    "an alias index that is no integer": _header("input_output_alias={ {0, a}: (0, {0}) }"),
    "an alias with two colons": _header("input_output_alias={ {0}: (0, {0}): {0, 1} }"),
    "an alias of another kind": _header("input_output_alias={ {0}: (0, {0}, some-alias) }"),
    "an alias without parentheses": _header("input_output_alias={ {0}: 0 }"),
    "aliases as XLA reads them": _header("input_output_alias={ {0}: (0, {0}, must-alias), {1}: (0, {1}) }"),
    "a buffer donor that is no integer": _header("buffer_donor={ (zero, {0}) }"),
    "a buffer donor not closed": _header("buffer_donor={ (0, {0}) (0, {1}) }"),
    "buffer donors as XLA reads them": _header("buffer_donor={ (0, {0}), (0, {1}) }"),
    # Parameter numbers: each once per computation (another computation may use it again).
    "a parameter number twice": _module("a = s8[] parameter(0)", "b = s8[] parameter(0)", "ROOT c = s8[] add(a, b)"),
    "a parameter number twice, apart": _module(
        "a = s8[] parameter(1)", "b = s8[] parameter(0)", "c = s8[] parameter( 1 ), sharding={replicated}",
        "ROOT d = s8[] add(a, b)",
    ),
    "a parameter number twice, once with a leading zero": _module(
        "a = s8[] parameter(0)", "b = s8[] parameter(00)", "ROOT c = s8[] add(a, b)"
    ),
    "a parameter number with a leading zero": _module("a = s8[] parameter(00)", "ROOT c = s8[] negate(a)"),
    "a parameter without a number": _module("a = s8[] parameter()", "ROOT c = s8[] negate(a)"),
    "a root parameter without a number": _module("ROOT a = s8[] parameter()"),
    "a parameter without a number, text after it": _module("a = s8[] parameter()0)", "ROOT c = s8[] negate(a)"),
    "a parameter number that is no integer": _module("a = s8[] parameter(1.5)", "ROOT c = s8[] negate(a)"),
    "a negative parameter number": _module("a = s8[] parameter(-1)", "ROOT c = s8[] negate(a)"),
    "a parameter number past int64": _module("a = s8[] parameter(9223372036854775808)", "ROOT c = s8[] negate(a)"),
    "a parameter number past uint64": _module("a = s8[] parameter(99999999999999999999)", "ROOT c = s8[] negate(a)"),
    "two parameter numbers": _module("a = s8[] parameter(3 4)", "ROOT c = s8[] negate(a)"),
    # Numbers too long for any integer type, and letters and digits of other scripts: XLA's lexer refuses them.
    "a parameter number of 5,000 digits": _module("a = s8[] parameter(" + "9" * 5000 + ")", "ROOT c = s8[] negate(a)"),
    "a constant of 5,000 digits": _module("ROOT a = s32[] constant(" + "9" * 5000 + ")"),
    "a window pad of 5,000 digits": _module(
        "a = f32[4] parameter(0)", "z = f32[] constant(0)",
        "ROOT r = f32[2] reduce-window(a, z), window={size=2 pad=" + "9" * 5000 + "_0}, to_apply=%add",
    ),
    "a padding of 5,000 digits": _module(
        "a = f32[4] parameter(0)", "z = f32[] constant(0)", "ROOT r = f32[8] pad(a, z), padding=" + "9" * 5000 + "_0"
    ),
    "a dimensions= entry of 5,000 digits": _module(
        "a = f32[4] parameter(0)", "ROOT r = f32[4,4] broadcast(a), dimensions={" + "9" * 5000 + "}"
    ),
    "a dimension size of 5,000 digits": _module("ROOT a = f32[" + "9" * 5000 + "] parameter(0)"),
    "a letter of another script in a literal": _module("ROOT a = f32[2] constant({1, \u00e9})"),
    "a digit of another script in a literal": _module("ROOT a = s32[2] constant({1, \u0663})"),
    "a parameter number -0": _module("a = s8[] parameter(-0)", "ROOT c = s8[] negate(a)"),
    "a parameter number twice before a name twice": _module(
        "a = s8[] parameter(0)", "b = s8[] parameter(0)", "ROOT a = s8[] add(a, b)"
    ),
    "a parameter number once per computation": "HloModule m\n\nf {\n  x = s8[] parameter(0)\n  ROOT y = s8[] negate(x)\n}\n\n"
    + _module("a = s8[] parameter(0)", "ROOT c = s8[] call(a), to_apply=f").replace("HloModule m\n", ""),
    # dim_labels: one token of XLA's lexer, each part's letters once and digits below its rank.
    "dim_labels with a digit past the rank": _module(
        "a = f32[1,2,1] parameter(0)", "b = f32[1,1,1] parameter(1)",
        "ROOT c = f32[1,2,1] convolution(a, b), window={size=1}, dim_labels=013_0123->210",
    ),
    "dim_labels with a letter twice": _module(
        "a = f32[1,2,1] parameter(0)", "b = f32[1,1,1] parameter(1)",
        "ROOT c = f32[1,2,1] convolution(a, b), window={size=1}, dim_labels=bbf_0io->b0f",
    ),
    "dim_labels with another letter": _module(
        "a = f32[1,2,1] parameter(0)", "b = f32[1,1,1] parameter(1)",
        "ROOT c = f32[1,2,1] convolution(a, b), window={size=1}, dim_labels=b0f_0ib->b0f",
    ),
    "dim_labels with an output letter twice": _module(
        "a = f32[1,2,1] parameter(0)", "b = f32[1,1,1] parameter(1)",
        "ROOT c = f32[1,2,1] convolution(a, b), window={size=1}, dim_labels=b0f_0io->b0b",
    ),
    "dim_labels as XLA reads them": _module(
        "a = f32[1,2,1] parameter(0)", "b = f32[1,1,1] parameter(1)",
        "ROOT c = f32[1,2,1] convolution(a, b), window={size=1}, dim_labels=f0b_o0i->0bf",
    ),
    # Infeed: its shape is a tuple of the data and a token.
    "an infeed whose shape is no tuple": _module("t = token[] after-all()", "ROOT i = pred[] infeed(t)"),
    "an infeed with a tuple shape": _module("t = token[] after-all()", "ROOT i = (pred[], token[]) infeed(t)"),
}


TEXTS = as_written_and_wrapped(CASES)


@pytest.fixture(scope="module")
def xla_verdicts() -> dict[str, dict]:
    return verdicts_by_text(TEXTS)


@pytest.mark.parametrize("name,text", TEXTS, ids=[name for name, _ in TEXTS])
def test_refused_and_accepted_as_xla_does(xla_verdicts, name, text):
    assert_read_as_xla(name, text, xla_verdicts[text])


# XLA checks these once the whole text is read, and names no place: the same verdict and message.
UNPLACED = {
    "a computation two async-starts call": ASYNC_COMPUTATION + _module(
        "p = f32[2,3] parameter(0)", "s = ((f32[2,3]), f32[3,2], s32[]) async-start(p), calls=wrapped",
        "d = f32[3,2] async-done(s)", "t = ((f32[2,3]), f32[3,2], s32[]) async-start(p), calls=wrapped",
        "ROOT e = f32[3,2] async-done(t)",
    ).replace("HloModule m\n", ""),
    "two async-starts of one computation, no done": ASYNC_COMPUTATION + _module(
        "p = f32[2,3] parameter(0)", "s = ((f32[2,3]), f32[3,2], s32[]) async-start(p), calls=wrapped",
        "ROOT t = ((f32[2,3]), f32[3,2], s32[]) async-start(p), calls=wrapped",
    ).replace("HloModule m\n", ""),
}


@pytest.mark.parametrize("name", list(UNPLACED))
def test_refused_without_a_place_as_xla_does(name):
    (theirs,) = xla_parse([UNPLACED[name]])
    assert not theirs["ok"] and theirs["line"] is None, (name, theirs)
    with pytest.raises(HloParseError) as caught:
        parse_hlo(UNPLACED[name])
    status, message = theirs["message"].split(": ", 1)  # XLA's status code, then its message
    assert status == "INVALID_ARGUMENT" and str(caught.value).startswith(message), (theirs, str(caught.value))
