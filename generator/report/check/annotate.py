"""`check --format github|sarif`: findings pinned to the spec line they break.

A day of traffic can repeat one defect a million times, and a pull request is no place for a
million annotations, so findings are folded: one annotation per spec location, kind, operation
and place in the traffic (request body, response header, ...), carrying how many findings and
exchanges it stands for and the first one in full, as the text report shows it. Memory grows
with the spec, not with the traffic. Findings with no place in the spec (a line of the
recording that is not an exchange) are annotated without a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from generator.contract.findings import ContractFinding, ExchangeResult, Kind, Part
from generator.report.annotations import Annotation, Level, Location, RuleInfo
from generator.report.check import Counts, Locator
from generator.report.check.text import finding_lines, summary, title
from generator.report.github import render_github
from generator.report.sarif import render_sarif

KIND_SUMMARIES: dict[Kind, str] = {
    Kind.MISSING_REQUIRED: "A property or value the spec requires is missing.",
    Kind.UNEXPECTED_PROPERTY: "A property the spec does not allow here (a closed object).",
    Kind.WRONG_TYPE: "A value of another JSON type than the spec's.",
    Kind.NOT_IN_ENUM: "A value that is not one of the spec's enum values.",
    Kind.BAD_FORMAT: "A string that does not match the spec's format (date, uuid, ...).",
    Kind.OUT_OF_RANGE: "A value, length or count outside the spec's limits.",
    Kind.PATTERN_MISMATCH: "A string that does not match the spec's pattern.",
    Kind.UNDOCUMENTED_STATUS: "A response status the operation does not document.",
    Kind.UNDOCUMENTED_OPERATION: "A method and path the spec does not document.",
    Kind.MISSING_PARAMETER: "A required parameter (path, query or header) is missing.",
    Kind.WRONG_CONTENT_TYPE: "A body whose media type the operation does not document.",
    Kind.INVALID_JSON: "A body declared as JSON that does not parse.",
    Kind.INVALID_INPUT: "A line or entry of the recording that is not an HTTP exchange.",
    Kind.OTHER: "Any other difference between the traffic and the spec.",
}

if TYPE_CHECKING:
    from generator.contract.check import Contract

RULES = tuple(RuleInfo(kind.value, KIND_SUMMARIES[kind], Level.ERROR) for kind in Kind)


def spec_locator(contract: Contract) -> Locator:
    """Where a finding sits in the spec: its schema pointer, else its operation, else (for a
    method and path the spec lacks) `paths`; None for input that is not an exchange."""
    root = contract.workspace.root
    operations = {
        op.operation_id: op.pointer for op in contract.operations.operations if op.operation_id
    }

    def locate(finding: ContractFinding) -> Location | None:
        if finding.schema_pointer.startswith("#"):
            pointer = finding.schema_pointer[1:]
        elif finding.operation in operations:
            pointer = operations[finding.operation]
        elif finding.kind is Kind.UNDOCUMENTED_OPERATION:
            pointer = "/paths"
        else:
            return None
        line, column = root.position(pointer)
        return Location(root.display, line, column, pointer)

    return locate


@dataclass
class _Group:
    finding: ContractFinding
    first: str  # the first exchange's title
    findings: int = 0
    exchanges: int = 0
    last_exchange: int = -1


class AnnotationReporter:
    def __init__(self, out: TextIO, fmt: str, locate: Locator) -> None:
        self.out = out
        self.fmt = fmt
        self.locate = locate
        self.groups: dict[tuple[str, str, str, str, str], _Group] = {}

    def add(self, result: ExchangeResult) -> None:
        for finding in result.findings:
            key = (
                finding.kind.value,
                finding.schema_pointer,
                finding.operation or "",
                finding.location,
                finding.part.value,
            )
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = _Group(finding, title(result))
            group.findings += 1
            if group.last_exchange != result.index:
                group.exchanges += 1
                group.last_exchange = result.index

    def _annotation(self, group: _Group) -> Annotation:
        finding = group.finding
        times = "finding" if group.findings == 1 else "findings"
        exchanges = "exchange" if group.exchanges == 1 else "exchanges"
        head = f"{group.findings} {times} in {group.exchanges} {exchanges}; first in {group.first}"
        label = finding.kind.value
        if finding.operation:
            label += f" in {finding.operation}"
        if finding.kind is not Kind.INVALID_INPUT:
            where = finding.location
            if finding.part is not Part.OPERATION:
                where += f" {finding.part.value}"
            label += f" ({where})"
        return Annotation(
            rule=finding.kind.value,
            level=Level.ERROR,
            message="\n".join([head, *finding_lines(finding)]),
            title=label,
            location=self.locate(finding),
            count=group.findings,
            properties={
                "operation": finding.operation,
                "traffic_location": f"{finding.location} {finding.part.value}",
                "schema_pointer": finding.schema_pointer,
                "exchanges": group.exchanges,
                "first_exchange": finding.exchange,
            },
        )

    def finish(self, counts: Counts) -> None:
        annotations = [self._annotation(group) for group in self.groups.values()]
        if self.fmt == "github":
            self.out.write(render_github(annotations, f"apicontract check: {summary(counts)}"))
        else:
            self.out.write(render_sarif("check", RULES, annotations))
        self.out.flush()
