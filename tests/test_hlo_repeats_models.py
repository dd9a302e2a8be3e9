"""Repeated blocks in HLO that JAX writes: unrolled stacks, their scanned twins, a lone block.

The stacks come from ``stack_programs.py`` (plain JAX and flax NNX): L
separate modules with their own arrays, as users write them.
"""

from __future__ import annotations

import pytest
from stack_programs import BLOCKS, scanned_texts, single_block_texts, unrolled_texts

from hloscope.hlo import parse_hlo
from hloscope.hlo.repeats import find_repeated_blocks

LAYERS = 4
PRE, POST = 0, 1


def layer_claims(text: str):
    """Blocks of 3 or more copies covering more than half of a computation."""
    return [b for b in find_repeated_blocks(parse_hlo(text)) if b.count >= 3 and b.fraction > 0.5]


@pytest.mark.parametrize("kind", sorted(BLOCKS))
def test_an_unrolled_stack_is_l_copies_before_optimization(kind):
    module = parse_hlo(unrolled_texts(kind, LAYERS)[PRE])
    (block,) = [b for b in find_repeated_blocks(module) if b.layers]
    assert (block.computation, block.count) == (module.entry.name, LAYERS)
    assert block.chained and block.fraction > 0.9


@pytest.mark.parametrize("kind", sorted(BLOCKS))
def test_an_unrolled_stack_is_about_l_copies_after_optimization(kind):
    module = parse_hlo(unrolled_texts(kind, LAYERS)[POST])
    (block,) = [b for b in find_repeated_blocks(module) if b.layers]
    assert block.computation == module.entry.name
    assert abs(block.count - LAYERS) <= 2


@pytest.mark.parametrize("layers", [2, 7])
def test_two_and_seven_layers_are_found_too(layers):
    pre, post = unrolled_texts("mlp", layers)
    assert [b.count for b in find_repeated_blocks(parse_hlo(pre)) if b.layers] == [layers]
    (block,) = [b for b in find_repeated_blocks(parse_hlo(post)) if b.layers]
    assert abs(block.count - layers) <= 2


@pytest.mark.parametrize("stage", [PRE, POST])
@pytest.mark.parametrize("kind", sorted(BLOCKS))
def test_a_scanned_stack_holds_no_layers(kind, stage):
    text = scanned_texts(kind, LAYERS)[stage]
    assert layer_claims(text) == []
    assert not any(b.layers for b in find_repeated_blocks(parse_hlo(text)))


@pytest.mark.parametrize("stage", [PRE, POST])
def test_a_lone_mlp_holds_no_layers(stage):
    assert layer_claims(single_block_texts("mlp")[stage]) == []
