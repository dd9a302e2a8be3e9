"""The summary records each while loop: where it is, its depth and trip count."""

import json
from pathlib import Path

from hloscope.hlo import summarize_hlo

CASES = Path(__file__).parent / "hlo_cases"


def test_summary_lists_every_loop_with_depth_and_trip_count():
    summary = summarize_hlo((CASES / "jax_loops_pre.hlo").read_text())
    record = summary.to_json()
    json.dumps(record)  # plain JSON types only
    loops = record["loops"]
    assert len(loops) == record["while_loops"] == len(record["trip_counts"])
    assert [loop["trip_count"] for loop in loops] == record["trip_counts"]
    assert max(loop["depth"] for loop in loops) == record["max_loop_depth"]
    for loop in loops:
        assert {"instruction", "computation", "body", "condition", "depth", "trip_count_source"} <= set(loop)
        assert loop["body"] and loop["condition"]


def test_nested_loops_are_deeper_than_their_parent():
    text = """
HloModule nested

inner_body {
  p = (s32[]) parameter(0)
  i = s32[] get-tuple-element(p), index=0
  one = s32[] constant(1)
  n = s32[] add(i, one)
  ROOT t = (s32[]) tuple(n)
}

inner_cond {
  p = (s32[]) parameter(0)
  i = s32[] get-tuple-element(p), index=0
  k = s32[] constant(3)
  ROOT c = pred[] compare(i, k), direction=LT
}

outer_body {
  p = (s32[]) parameter(0)
  z = s32[] constant(0)
  t0 = (s32[]) tuple(z)
  w = (s32[]) while(t0), condition=inner_cond, body=inner_body, backend_config={"known_trip_count":{"n":"3"}}
  i = s32[] get-tuple-element(p), index=0
  one = s32[] constant(1)
  n = s32[] add(i, one)
  ROOT t = (s32[]) tuple(n)
}

outer_cond {
  p = (s32[]) parameter(0)
  i = s32[] get-tuple-element(p), index=0
  k = s32[] constant(5)
  ROOT c = pred[] compare(i, k), direction=LT
}

ENTRY main {
  z = s32[] constant(0)
  t0 = (s32[]) tuple(z)
  ROOT w = (s32[]) while(t0), condition=outer_cond, body=outer_body, backend_config={"known_trip_count":{"n":"5"}}
}
"""
    loops = {loop["body"]: loop for loop in summarize_hlo(text).to_json()["loops"]}
    assert loops["outer_body"]["depth"] == 1 and loops["outer_body"]["trip_count"] == 5
    assert loops["inner_body"]["depth"] == 2 and loops["inner_body"]["trip_count"] == 3
    assert loops["inner_body"]["computation"] == "outer_body"
