"""HLO text: parsing, graphs and counts. Imports neither jax nor flax.

- ``parse_hlo(text) -> HloModule``; bad text raises ``HloParseError``
  (line, column, the line with a caret).
- ``HloModule``: ``computations`` (name -> HloComputation, text order),
  ``entry``, ``op_counts(weighted=False)``, ``while_loops()``, ``call_graph``.
- ``HloComputation``: ``instructions`` (text order), ``root``, ``graph``.
- ``HloInstruction``: ``name``, ``opcode`` (as spelled in HLO), ``shape``
  (text), ``operands`` (names), ``called_computations``, ``attributes``
  (raw text per attribute; ``hloscope.hlo.attributes`` decodes them).
- ``summarize_hlo(text)`` / ``summarize_module(module) -> HloSummary``.

Unweighted op counts cover every instruction of every computation, as the
text lists them (fused computations included). Weighted counts and FLOPs
walk from the entry and multiply by loop trip counts; see
``hloscope.hlo.metrics`` and ``hloscope.hlo.flops``.
"""

from hloscope.hlo.errors import HloParseError
from hloscope.hlo.loops import WhileLoop
from hloscope.hlo.module import HloComputation, HloInstruction, HloModule
from hloscope.hlo.parser import parse_hlo
from hloscope.hlo.summary import HloSummary, summarize_hlo, summarize_module

__all__ = [
    "HloComputation",
    "HloInstruction",
    "HloModule",
    "HloParseError",
    "HloSummary",
    "WhileLoop",
    "parse_hlo",
    "summarize_hlo",
    "summarize_module",
]
