"""HLO text: parsing, graphs and counts. Imports neither jax nor flax.

Records (``hloscope.hlo.module``), plain data:

- ``parse_hlo(text) -> HloModule``; bad text raises ``HloParseError``
  (line, column, the line with a caret).
- ``HloModule``: ``name``, ``computations`` (name -> HloComputation),
  ``entry``, ``attributes`` (header), ``sections``, ``instructions()``.
- ``HloComputation``: ``instructions`` (text order), ``root``,
  ``instruction_map``.
- ``HloInstruction``: ``name``, ``opcode`` (as spelled in HLO), ``shape``
  (text), ``operands`` (names, a tuple), ``calls`` / ``called_computations``,
  ``payload``, ``attributes`` (raw text per attribute, read on first use;
  ``hloscope.hlo.attributes`` decodes values).

Functions over them, each in its own module, none imported back by the records:

- ``op_counts(module, weighted=False)`` and ``while_body_op_counts(module)``
  (``metrics``), ``while_loops(module)`` (``loops``), ``call_graph(module)``
  and ``instruction_graph(computation)`` (``graphs``), ``module_flops(module)``
  (``flops``), ``summarize_hlo(text)`` / ``summarize_module(module) ->
  HloSummary`` (``summary``).

Unweighted op counts cover every instruction of every computation, as the
text lists them (fused computations included). Weighted counts and FLOPs
walk from the entry and multiply by loop trip counts.
"""

from hloscope.hlo.errors import HloParseError
from hloscope.hlo.flops import module_flops
from hloscope.hlo.graphs import call_graph, instruction_graph
from hloscope.hlo.loops import WhileLoop, while_loops
from hloscope.hlo.metrics import op_counts, while_body_op_counts
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
    "call_graph",
    "instruction_graph",
    "module_flops",
    "op_counts",
    "parse_hlo",
    "summarize_hlo",
    "summarize_module",
    "while_body_op_counts",
    "while_loops",
]
