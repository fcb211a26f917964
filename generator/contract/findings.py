"""Contract findings: every difference between traffic and the spec, located precisely."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Kind(enum.StrEnum):
    MISSING_REQUIRED = "missing_required"
    UNEXPECTED_PROPERTY = "unexpected_property"
    WRONG_TYPE = "wrong_type"
    NOT_IN_ENUM = "not_in_enum"
    BAD_FORMAT = "bad_format"
    OUT_OF_RANGE = "out_of_range"
    PATTERN_MISMATCH = "pattern_mismatch"
    UNDOCUMENTED_STATUS = "undocumented_status"
    UNDOCUMENTED_OPERATION = "undocumented_operation"
    MISSING_PARAMETER = "missing_parameter"
    WRONG_CONTENT_TYPE = "wrong_content_type"
    INVALID_JSON = "invalid_json"
    INVALID_INPUT = "invalid_input"
    OTHER = "other"


class Part(enum.StrEnum):
    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    COOKIE = "cookie"
    BODY = "body"
    STATUS = "status"
    CONTENT_TYPE = "content_type"
    OPERATION = "operation"


@dataclass(frozen=True)
class ContractFinding:
    exchange: int
    operation: str | None
    location: str  # "request" | "response"
    part: Part
    pointer: str
    kind: Kind
    expected: Any
    actual: Any
    message: str
    schema_pointer: str

    def to_json(self) -> dict[str, Any]:
        return {
            "exchange": self.exchange,
            "operation": self.operation,
            "location": self.location,
            "part": self.part.value,
            "pointer": self.pointer,
            "kind": self.kind.value,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
            "schema_pointer": self.schema_pointer,
        }


@dataclass
class ExchangeResult:
    """One exchange's verdict: what it was (for report headers) and what differs."""

    index: int
    method: str
    url: str
    operation: str | None
    status: int | None
    findings: list[ContractFinding]

    @property
    def conforms(self) -> bool:
        return not self.findings
