"""The syntax forms XLA's printer and tests write, one hand-written module each."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from hloscope.hlo import HloModule, call_graph, instruction_graph, op_counts, parse_hlo, while_loops
from hloscope.hlo.attributes import backend_config, int_list, int_list_list, metadata, unquote
from hloscope.hlo.shapes import array_dims, byte_size, element_count, leaf_arrays

CASES = Path(__file__).parent / "hlo_cases"


def load(name: str) -> HloModule:
    return parse_hlo((CASES / name).read_text())


def test_header_attributes_span_lines():
    module = load("header_attributes.hlo")
    assert module.name == "aliased_module"
    attrs = module.attributes
    assert attrs["is_scheduled"] == "true"
    assert attrs["input_output_alias"] == "{ {0}: (0, {}, may-alias) }"
    assert attrs["entry_computation_layout"].startswith("{(f32[2]{0}, (s32[], f32[2]{0}))->")
    assert attrs["frontend_attributes"] == '{attr_a="x", attr_b="{not a brace}"}'
    assert attrs["num_partitions"] == "1"
    assert module.entry.name == "main"
    assert module.entry.signature == "(p0: f32[2], t: (s32[], f32[2])) -> (f32[2])"


def test_no_header_no_entry_no_root():
    module = load("no_header.hlo")
    assert module.name == "module_main"
    assert list(module.computations) == ["add_one", "main"]
    assert module.entry is module.computations["main"]
    assert module.entry.is_entry
    # Without ROOT the last instruction is the root.
    assert module.computations["add_one"].root.name == "add"
    assert module.entry.root.name == "n"
    assert module.computations["add_one"].signature is None


def test_stack_frame_sections():
    module = load("stack_frames.hlo")
    sections = module.sections
    assert set(sections) == {"FileNames", "FunctionNames", "FileLocations", "StackFrames"}
    assert sections["FileNames"][1] == '"/tmp/model.py"'
    assert unquote(sections["FileNames"][2]).endswith('/"quoted".py')
    assert sections["StackFrames"][2] == "{file_location_id=2 parent_frame_id=1}"
    sine = module.entry.instruction_map["sine.2"]
    assert metadata(sine.attributes["metadata"]) == {"op_name": "jit(forward)/sin", "stack_frame_id": 2}


def test_signatures_tuples_and_execution_thread():
    module = load("signatures.hlo")
    nested = module.computations["nested.params"]
    assert nested.signature.startswith("(p: f32[2], t: (s32[], (f32[], pred[])), e: ())")
    assert nested.execution_thread == "host"
    assert module.computations["layout-result_computation.1"].root.shape == "f32[2,3]{0,1}"
    entry = module.entry
    assert entry.name == "entry-point_1.main"
    assert entry.instruction_map["empty"].shape == "()"
    assert entry.instruction_map["tup"].shape == "(s32[], (f32[], pred[]))"
    assert entry.root.called_computations == ["nested.params"]


def test_comments_wrapped_instructions_and_one_line_computations():
    module = load("comments_and_wrapping.hlo")
    body = module.computations["body"]
    nxt = body.instruction_map["next"]
    assert nxt.operands == ("i", "one")
    assert metadata(nxt.attributes["metadata"])["source_line"] == 3
    # /*index=6*/ comments are not part of shapes or operands.
    assert body.instruction_map["arg"].shape.endswith(", f32[8]{0})")
    assert "/*" not in body.instruction_map["arg"].shape
    assert body.root.operands == ("next", "a", "a", "a", "a", "a", "a")
    cond = module.computations["cond"]
    assert [inst.name for inst in cond.instructions] == ["arg", "i", "n", "lt"]
    assert cond.root.attributes == {"direction": "LT"}
    loop = module.entry.instruction_map["loop"]
    assert loop.calls == (("condition", "cond"), ("body", "body"))
    [record] = while_loops(module)
    assert record.trip_count == 10 and record.trip_count_source == "pattern"


def test_shapes_dynamic_layouts_and_inline_operand_shapes():
    module = load("shapes.hlo")
    entry = module.entry.instruction_map
    assert entry["a"].shape == "f32[<=4,3]{1,0}"
    assert entry["b"].shape == "f32[?,784]{1,0}"
    assert entry["t"].shape == "token[]"
    assert entry["op"].shape == "opaque[]"
    assert entry["tiled"].shape == "f32[8,128]{1,0:T(8,128)(2,1)}"
    assert entry["memspace"].shape == "f32[16]{0:S(1)}"
    assert entry["packed"].shape == "s4[64]{0:E(4)}"
    assert entry["neg"].operands == ("a",)
    assert entry["tup"].operands == ("pair", "b")
    assert entry["after"].operands == ("t",)
    assert array_dims(entry["a"].shape) == (4, 3)
    assert array_dims(entry["b"].shape) == (None, 784)
    assert element_count(entry["tiled"].shape) == 8 * 128
    assert element_count(entry["b"].shape) is None
    assert leaf_arrays(entry["tup"].shape) == (("f32", (4, 3)), ("f32", ()), ("f32", (None, 784)))
    assert byte_size(entry["both"].shape) == 16 * 256 * 2
    assert byte_size("(f32[2]{0}, s32[])") == 12


def test_attributes_stay_raw_and_decode_on_demand():
    module = load("attributes.hlo")
    entry = module.entry.instruction_map
    assert entry["x"].attributes["sharding"] == "{devices=[2,2]<=[4]}"
    assert entry["y"].attributes["sharding"] == "{replicated}"
    assert entry["out"].attributes["sharding"].startswith("{{devices=[2,1,2]<=[4] last_tile_dim_replicate}")
    dot = entry["dot"]
    assert int_list(dot.attributes["lhs_contracting_dims"]) == [1]
    assert dot.attributes["operand_precision"] == "{highest,default}"
    assert metadata(dot.attributes["metadata"])["source_file"] == '/tmp/a "b".py'
    assert int_list_list(entry["ar"].attributes["replica_groups"]) == [[0, 1], [2, 3]]
    assert entry["ar2"].attributes["replica_groups"] == "[2,2]<=[4]"
    assert entry["ar3"].attributes["replica_groups"] == "[2,2]<=[2,2]T(1,0)"
    cc = entry["cc"]
    assert unquote(cc.attributes["custom_call_target"]) == "my_target"
    assert backend_config(cc.attributes["backend_config"]) == {"key": "va}lue", "n": 3}
    assert cc.attributes["frontend_attributes"] == '{_xla_x="1", y="{", z="a\\\\b"}'
    # A raw brace backend_config need not be JSON.
    assert entry["cc2"].attributes["backend_config"] == '{not json {nested} "with } brace"}'
    assert backend_config(entry["cc2"].attributes["backend_config"]) is None
    assert entry["cc2"].attributes["api_version"] == "API_VERSION_STATUS_RETURNING"
    assert unquote(entry["cc3"].attributes["custom_call_target"]) == "single quoted"
    deep = backend_config(entry["cc3"].attributes["backend_config"])
    assert deep["nested"]["deeper"]["deepest"][2] == {"x": "}"}
    assert [kind for kind, _ in entry["ar"].calls] == ["to_apply"]


def test_every_call_form_and_the_call_graph():
    module = load("calls.hlo")
    entry = module.entry.instruction_map
    assert entry["fusion"].calls == (("calls", "fused"),)
    assert entry["reduce"].calls == (("to_apply", "add.f32"),)
    assert entry["switch"].calls == (("branch", "branch_0"), ("branch", "branch_1"))
    assert entry["ifelse"].calls == (("branch", "branch_0"), ("branch", "branch_1"))
    assert entry["sas"].calls == (("select", "ge.f32"), ("scatter", "add.f32"))
    assert entry["start"].calls == (("calls", "async_wrapped"),)
    assert entry["update"].operands == ("start",) and entry["done"].operands == ("update",)
    assert entry["ag-start"].opcode == "all-gather-start"
    assert entry["ag-done"].opcode == "all-gather-done"
    graph = call_graph(module)
    assert isinstance(graph, nx.DiGraph)
    assert graph["main"]["branch_0"]["kind"] == "branch"
    assert graph["main"]["branch_0"]["count"] == 2
    assert graph["main"]["add.f32"]["kinds"] == ["to_apply", "scatter"]
    assert graph["main"]["fused"]["kind"] == "calls"
    assert set(graph.successors("main")) == {"fused", "add.f32", "branch_0", "branch_1", "ge.f32", "async_wrapped"}


def test_constants_of_every_form():
    module = load("constants.hlo")
    entry = module.entry.instruction_map
    assert entry["scalar"].payload == "1.5e-3"
    assert entry["negative"].payload == "-42"
    assert entry["nested"].payload == "{ { 1, 2, 3 }, { 4, 5.5, -6 } }"
    assert entry["specials"].payload == "{nan, inf, -inf, -nan}"
    assert entry["complex"].payload == "{(1, -2), (0.5, 3e2)}"
    assert entry["complex_scalar"].payload == "(1, -2)"
    assert entry["tuple"].payload == "(7, {1, 2})"
    assert entry["elided"].payload == "{...}"
    assert all(inst.operands == () for inst in module.entry.instructions[:-1])


def test_nested_instructions_become_anonymous_instructions():
    module = load("nested_instruction.hlo")
    names = [inst.name for inst in module.entry.instructions]
    assert names == ["x", "y", "z", "minimum.anon", "maximum.anon", "out"]
    assert module.entry.root.operands == ("maximum.anon", "z")


def test_instruction_graph_has_operand_to_user_edges():
    module = load("calls.hlo")
    graph = instruction_graph(module.entry)
    assert graph.nodes["fusion"]["opcode"] == "fusion"
    assert graph.nodes["fusion"]["shape"] == "f32[4]{0}"
    assert graph.has_edge("x", "fusion") and graph["x"]["fusion"]["count"] == 2
    assert graph.nodes["sorted"]["root"] is True
    assert nx.is_directed_acyclic_graph(graph)


def test_percent_prefixes_and_crlf_line_ends_read_the_same():
    text = (CASES / "calls.hlo").read_text()
    plain = parse_hlo(text)
    crlf = parse_hlo(text.replace("\n", "\r\n"))
    no_percent = parse_hlo(text.replace("%", ""))
    for other in (crlf, no_percent):
        assert list(other.computations) == list(plain.computations)
        for name, computation in plain.computations.items():
            got = other.computations[name].instructions
            assert [(i.name, i.opcode, i.operands, i.calls) for i in got] == [
                (i.name, i.opcode, i.operands, i.calls) for i in computation.instructions
            ]


def test_whole_module_on_one_line():
    text = " ".join(line.split("//")[0] for line in (CASES / "calls.hlo").read_text().splitlines())
    module = parse_hlo(text)
    assert len(module.computations) == 7
    assert module.entry.root.name == "sorted"
    assert module.entry.instruction_map["switch"].calls == (("branch", "branch_0"), ("branch", "branch_1"))


def test_op_counts_spell_opcodes_as_hlo_does():
    counts = op_counts(load("calls.hlo"))
    assert counts["parameter"] == 13
    assert counts["all-gather-start"] == 1
    assert sum(counts.values()) == sum(len(c.instructions) for c in load("calls.hlo").computations.values())


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.glob("*.hlo")))
def test_every_case_parses(case):
    module = load(case)
    assert module.computations and module.entry is not None
    for computation in module.computations.values():
        assert computation.root in computation.instructions


def test_buffer_shapes_mesh_groups_literals_and_a_header_colon():
    buffers = load("buffer_shapes.hlo").entry.instruction_map
    assert buffers["pinned"].shape == "b(f32[4,8]{1,0})"
    assert buffers["wrapped"].shape == "b(f32[4,8]{1,0})" and buffers["wrapped"].operands == ("pinned",)
    mesh = load("mesh_replica_groups.hlo").entry.instruction_map
    assert mesh["r"].attributes["replica_groups"] == "mesh['axis_0'=2,'axis_1'=2] {'axis_1'}"
    assert mesh["r"].calls == (("to_apply", "add"),)
    literals = load("literal_attributes.hlo").entry.instruction_map
    assert literals["a"].attributes["literal"] == "s32[] 1"
    assert literals["c"].attributes["literal"] == "f32[2,2]{1,0} { {1, 2}, {3, 4} }"
    assert literals["c"].attributes["api_version"] == "API_VERSION_TYPED_FFI"
    assert load("header_colon.hlo").name == "convolution.167"


def test_inline_computations_are_named_and_placed_as_xla_does():
    module = load("inline_computations.hlo")
    assert list(module.computations) == ["_", "body", "_.1", "main"]
    assert module.computations["body"].instruction_map["total"].calls == (("to_apply", "_"),)
    assert module.entry.instruction_map["loop"].calls == (("body", "body"), ("condition", "_.1"))
    [loop] = while_loops(module)
    assert loop.condition.name == "_.1" and loop.trip_count == 3


def test_async_sugar_keeps_the_text_opcodes():
    module = load("async_sugar.hlo")
    counts = op_counts(module)
    assert counts["all-to-all-start"] == 1 and counts["reduce-scatter-done"] == 1
    assert "async-start" not in counts
    assert list(module.computations) == ["add", "main"]
    assert module.entry.instruction_map["rs"].calls == (("to_apply", "add"),)
