"""The report layer: how every command's results are written, one module per command.

    lint   report/lint.py     text, json, junit, github, sarif
    diff   report/diff.py     text, json, junit, github, sarif
    check  report/check/      the same five, plus html; streaming, a run of any length

Shared by all three: escape.py (terminal, XML, workflow-command and HTML escaping),
annotations.py (a finding pinned to a file and line) rendered by github.py and sarif.py, and
output.py (standard output, or a file that appears only when complete).
"""

from __future__ import annotations

#: the formats every command offers
FORMATS = ("text", "json", "junit", "github", "sarif")
#: `apicontract check` also writes a self-contained HTML page
CHECK_FORMATS = (*FORMATS, "html")

__all__ = ["CHECK_FORMATS", "FORMATS"]
