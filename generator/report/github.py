"""GitHub Actions workflow commands: each annotation becomes `::error`, `::warning` or
`::notice` on its file and line, so a pull request shows it where it belongs. Accepted
(suppressed) annotations are left out; the last line is a plain summary.
"""

from __future__ import annotations

from collections.abc import Iterable

from generator.report.annotations import Annotation, Level
from generator.report.escape import clean, workflow_data, workflow_property

_COMMAND = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "notice"}


def command(annotation: Annotation) -> str:
    props: list[str] = []
    where = annotation.location
    if where is not None:
        props.append(f"file={workflow_property(where.file)}")
        if where.line is not None:
            props.append(f"line={where.line}")
            if where.column is not None:
                props.append(f"col={where.column}")
    props.append(f"title={workflow_property(annotation.title)}")
    return f"::{_COMMAND[annotation.level]} {','.join(props)}::{workflow_data(annotation.message)}"


def render_github(annotations: Iterable[Annotation], summary: str) -> str:
    lines = [command(a) for a in annotations if a.suppressed is None]
    lines.append(clean(summary))
    return "\n".join(lines) + "\n"
