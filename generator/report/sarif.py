"""SARIF 2.1.0, the format code-scanning services (GitHub's among them) upload: one run of
one tool, a rule table, and one result per annotation with its file, line and column.

Tests validate the output against the official OASIS schema (tests/report/data/). Relative
file names stay relative (code scanning resolves them against the checkout); absolute ones
become file:// URIs. Accepted findings are results with an external suppression carrying the
reason, as SARIF intends, rather than dropped.
"""

from __future__ import annotations

import json
import math
import urllib.parse
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from generator import __version__
from generator.report.annotations import Annotation, RuleInfo

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def artifact_uri(file: str) -> str:
    """A file name as a URI reference: relative stays relative, absolute becomes file://."""
    if PureWindowsPath(file).drive or file.startswith("/"):
        posix = PureWindowsPath(file).as_posix() if PureWindowsPath(file).drive else file
        return "file://" + ("" if posix.startswith("/") else "/") + urllib.parse.quote(posix)
    return urllib.parse.quote(PurePosixPath(file.replace("\\", "/")).as_posix())


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)
    if isinstance(value, dict):
        return {str(key): _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _rule(info: RuleInfo) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": info.id, "defaultConfiguration": {"level": info.level.value}}
    if info.summary:
        rule["shortDescription"] = {"text": info.summary}
        rule["fullDescription"] = {"text": info.summary}
    return rule


def _result(annotation: Annotation, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": annotation.rule,
        "ruleIndex": rule_index,
        "level": annotation.level.value,
        "message": {"text": annotation.message},
    }
    where = annotation.location
    if where is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(where.file)}}
        if where.line is not None:
            region: dict[str, Any] = {"startLine": max(1, where.line)}
            if where.column is not None:
                region["startColumn"] = max(1, where.column)
            physical["region"] = region
        location: dict[str, Any] = {"physicalLocation": physical}
        if where.pointer:
            location["logicalLocations"] = [{"fullyQualifiedName": where.pointer, "kind": "member"}]
        result["locations"] = [location]
    if annotation.count > 1:
        result["occurrenceCount"] = annotation.count
    if annotation.suppressed is not None:
        result["suppressions"] = [{"kind": "external", "justification": annotation.suppressed}]
    if annotation.properties:
        result["properties"] = _finite(annotation.properties)
    return result


def sarif_log(
    command: str, rules: Sequence[RuleInfo], annotations: Iterable[Annotation]
) -> dict[str, Any]:
    """The SARIF log of one `apicontract COMMAND` run. Rules an annotation names but
    `rules` lacks are added with their id alone."""
    table = list(rules)
    index = {rule.id: n for n, rule in enumerate(table)}
    results = []
    for annotation in annotations:
        if annotation.rule not in index:
            index[annotation.rule] = len(table)
            table.append(RuleInfo(annotation.rule, level=annotation.level))
        results.append(_result(annotation, index[annotation.rule]))
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "apicontract",
                        "version": __version__,
                        "rules": [_rule(rule) for rule in table],
                    }
                },
                "automationDetails": {"id": f"apicontract/{command}/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render_sarif(command: str, rules: Sequence[RuleInfo], annotations: Iterable[Annotation]) -> str:
    document = sarif_log(command, rules, annotations)
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
