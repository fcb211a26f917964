"""`apicontract lint`: structural validation plus the rules openapi-spec-validator misses."""

from generator.lint.engine import LintOptions, LintReport, lint_file

__all__ = ["LintOptions", "LintReport", "lint_file"]
