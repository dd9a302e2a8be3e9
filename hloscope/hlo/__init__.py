"""HLO text: parsing, graphs and counts. Imports neither jax nor flax."""

from hloscope.hlo.errors import HloParseError
from hloscope.hlo.module import HloComputation, HloInstruction, HloModule
from hloscope.hlo.parser import parse_hlo
from hloscope.hlo.summary import HloSummary, summarize_hlo, summarize_module

__all__ = [
    "HloComputation",
    "HloInstruction",
    "HloModule",
    "HloParseError",
    "HloSummary",
    "parse_hlo",
    "summarize_hlo",
    "summarize_module",
]
