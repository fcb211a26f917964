"""Translate Zuora Fulfillments traffic between the v1 and Quickstart styles, driven by the
mapping file `specs/v1-quickstart.mapping.yaml` (see mapping.py, engine.py, run.py)."""

from generator.translate.engine import Problem, Result, Translated, TranslateSetupError, Translator
from generator.translate.mapping import Mapping, validate
from generator.translate.run import Summary, TranslateError, translate_traffic

__all__ = [
    "Mapping",
    "Problem",
    "Result",
    "Summary",
    "TranslateError",
    "TranslateSetupError",
    "Translated",
    "Translator",
    "translate_traffic",
    "validate",
]
