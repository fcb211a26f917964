"""Spec evolution: compare two versions of an OpenAPI spec and classify every change by what it
does to callers (breaking, warning, info). See `rules.py` for the catalogue and `compare.py`
for how direction decides severity.
"""

from generator.diff.model import Change, Side
from generator.diff.rules import RULES, Level, Rule
from generator.diff.run import diff, run_diff
from generator.diff.schema import DiffInputError

__all__ = ["RULES", "Change", "DiffInputError", "Level", "Rule", "Side", "diff", "run_diff"]
