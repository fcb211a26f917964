"""Parse YAML or JSON text into plain JSON-like data, safely and with source positions.

PyYAML's loaders expand aliases into shared objects (a "billion laughs" file then explodes in every
later traversal), silently keep the last of duplicate keys, turn `2022-01-01` into a `date` and
recurse once per nesting level. This parser consumes libyaml's event stream iteratively instead:

* every value gets a JSON pointer and the 1-based line/column where it starts;
* duplicate mapping keys are reported (the last one still wins, as in most loaders);
* the size that aliases expand to is counted and bounded, recursive aliases are refused;
* nesting depth and input size are bounded;
* only JSON-compatible values come out: timestamps stay strings, keys are their source text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import ScalarNode

from generator.findings import Finding, Severity
from generator.load import pointer as jp

try:  # libyaml is much faster; fall back to the pure-Python parser where it is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile or broken file from exhausting memory or time."""

    max_bytes: int = 64 * 1024 * 1024
    max_depth: int = 256
    #: values a document may expand to once aliases are followed (a billion-laughs guard)
    max_nodes: int = 5_000_000


DEFAULT_LIMITS = Limits()


class ParseError(Exception):
    """The text cannot be turned into data. `rule`, `line`, `column` locate the reason."""

    def __init__(self, rule: str, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.line = line
        self.column = column


@dataclass
class Parsed:
    data: Any
    positions: dict[str, tuple[int, int]]
    #: problems that do not stop parsing (duplicate keys, unsupported tags)
    problems: list[tuple[str, str, str, int, int]] = field(default_factory=list)

    def findings(self, display: str) -> list[Finding]:
        return [
            Finding(display, line, col, pointer, Severity.ERROR, rule, message)
            for rule, message, pointer, line, col in self.problems
        ]


_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_BOOL = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
_resolver = yaml.resolver.Resolver()
_constructor = yaml.constructor.SafeConstructor()


def _scalar(event: yaml.ScalarEvent) -> tuple[Any, str | None]:
    """Return the JSON value of a scalar event and, if its tag is unsupported, that tag."""
    tag = event.tag
    if tag is None or tag == "!":
        tag = _resolver.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
    value = event.value
    if tag == "tag:yaml.org,2002:str" or tag == "tag:yaml.org,2002:timestamp":
        return value, None
    if tag == "tag:yaml.org,2002:null":
        return None, None
    if tag == "tag:yaml.org,2002:bool":
        return _BOOL.get(value.lower(), bool(value)), None
    if tag == "tag:yaml.org,2002:int":
        try:
            return _constructor.construct_yaml_int(ScalarNode(tag, value)), None
        except (ValueError, yaml.YAMLError):
            return value, tag
    if tag == "tag:yaml.org,2002:float":
        try:
            return _constructor.construct_yaml_float(ScalarNode(tag, value)), None
        except (ValueError, yaml.YAMLError):
            return value, tag
    return value, tag


class _Frame:
    __slots__ = (
        "anchor",
        "container",
        "explicit",
        "key",
        "key_mark",
        "merges",
        "pointer",
        "size",
        "start",
    )

    def __init__(
        self, container: Any, pointer: str, start: tuple[int, int], anchor: str | None
    ) -> None:
        self.container = container
        self.start = start
        self.pointer = pointer
        self.key: str | None = None  # pending mapping key (None: next scalar is a key)
        self.key_mark: tuple[int, int] = (1, 1)
        self.size = 1
        self.anchor = anchor
        self.merges: list[dict[str, Any]] = []
        self.explicit: set[str] = set()


def parse_yaml(text: str, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Parse YAML (JSON is a subset) into data with positions. Raises ParseError."""
    positions: dict[str, tuple[int, int]] = {}
    problems: list[tuple[str, str, str, int, int]] = []
    anchors: dict[str, tuple[Any, int]] = {}
    pending_anchors: set[str] = set()
    stack: list[_Frame] = []
    result: Any = None
    documents = 0
    total = 0

    def place(value: Any, size: int, mark: tuple[int, int]) -> None:
        """Attach a finished value to the enclosing container (or make it the result)."""
        nonlocal result
        if not stack:
            result = value
            positions.setdefault("", mark)
            return
        frame = stack[-1]
        frame.size += size
        container = frame.container
        if isinstance(container, list):
            positions[jp.join(frame.pointer, len(container))] = mark
            container.append(value)
            return
        key = frame.key
        assert key is not None
        frame.key = None
        if key == "<<":
            sources = value if isinstance(value, list) else [value]
            if not all(isinstance(s, dict) for s in sources):
                problems.append(
                    (
                        "yaml-merge",
                        "a '<<' merge key needs a mapping or a list of mappings",
                        frame.pointer,
                        *frame.key_mark,
                    )
                )
                return
            frame.merges.extend(sources)
            return
        child = jp.join(frame.pointer, key)
        if key in frame.explicit:
            problems.append(
                (
                    "yaml-duplicate-key",
                    f"duplicate key {key!r}: the earlier value is silently replaced "
                    f"(first defined at line {positions[child][0]})",
                    child,
                    *frame.key_mark,
                )
            )
        frame.explicit.add(key)
        positions[child] = frame.key_mark
        container[key] = value

    def mark_of(event: yaml.Event) -> tuple[int, int]:
        mark = event.start_mark
        return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)

    def expect_key() -> bool:
        return bool(stack) and isinstance(stack[-1].container, dict) and stack[-1].key is None

    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.ScalarEvent):
                if expect_key():
                    frame = stack[-1]
                    frame.key = event.value
                    frame.key_mark = mark_of(event)
                    if event.anchor:
                        anchors[event.anchor] = (event.value, 1)
                    continue
                value, bad_tag = _scalar(event)
                pointer_here = _child_pointer(stack)
                if bad_tag is not None:
                    problems.append(
                        (
                            "yaml-unsupported-tag",
                            f"tag {bad_tag!r} has no JSON equivalent; read as a string",
                            pointer_here,
                            *mark_of(event),
                        )
                    )
                total += 1
                if event.anchor:
                    anchors[event.anchor] = (value, 1)
                place(value, 1, mark_of(event))
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if expect_key():
                    raise ParseError(
                        "yaml-complex-key",
                        "a mapping key must be a plain value, not a mapping or a list",
                        *mark_of(event),
                    )
                if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                    problems.append(
                        (
                            "yaml-unsupported-tag",
                            f"tag {event.tag!r} is ignored",
                            _child_pointer(stack),
                            *mark_of(event),
                        )
                    )
                if len(stack) >= limits.max_depth:
                    raise ParseError(
                        "nesting-limit",
                        f"nesting deeper than {limits.max_depth} levels is refused",
                        *mark_of(event),
                    )
                total += 1
                container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
                frame = _Frame(container, _child_pointer(stack), mark_of(event), event.anchor)
                if event.anchor:
                    pending_anchors.add(event.anchor)
                stack.append(frame)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                frame = stack.pop()
                if frame.merges and isinstance(frame.container, dict):
                    for source in frame.merges:
                        for k, v in source.items():
                            if k not in frame.explicit and k not in frame.container:
                                frame.container[k] = v
                if frame.anchor:
                    pending_anchors.discard(frame.anchor)
                    anchors[frame.anchor] = (frame.container, frame.size)
                place(frame.container, frame.size, frame.start)
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor in pending_anchors:
                    raise ParseError(
                        "yaml-recursive-alias",
                        f"alias *{event.anchor} refers to a value that contains it",
                        *mark_of(event),
                    )
                if event.anchor not in anchors:
                    raise ParseError(
                        "yaml-syntax", f"alias *{event.anchor} has no anchor", *mark_of(event)
                    )
                value, size = anchors[event.anchor]
                total += size
                if total > limits.max_nodes:
                    raise ParseError(
                        "alias-limit",
                        f"aliases expand this document past {limits.max_nodes:,} values "
                        "(an alias bomb?); refused",
                        *mark_of(event),
                    )
                if expect_key():
                    if not isinstance(value, str):
                        raise ParseError(
                            "yaml-complex-key",
                            "an alias used as a key must name a string",
                            *mark_of(event),
                        )
                    stack[-1].key = value
                    stack[-1].key_mark = mark_of(event)
                    continue
                place(value, size, mark_of(event))
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise ParseError(
                        "yaml-multiple-documents",
                        "the file holds more than one YAML document; a spec is one document",
                        *mark_of(event),
                    )
            if total > limits.max_nodes:
                raise ParseError(
                    "size-limit", f"document has more than {limits.max_nodes:,} values; refused"
                )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or str(exc)
        if "maximum nesting depth" in reason:
            # libyaml (bundled with newer PyYAML wheels) has its own nesting limit, which can
            # be lower than ours: whichever layer refuses first, it is the same refusal
            raise ParseError(
                "nesting-limit",
                f"nesting deeper than the YAML parser's limit is refused ({reason})",
                line,
                col,
            ) from None
        if exc.context:
            reason = f"{exc.context}: {reason}"
        raise ParseError("yaml-syntax", f"cannot parse: {reason}", line, col) from None
    except yaml.YAMLError as exc:
        raise ParseError("yaml-syntax", f"cannot parse: {exc}") from None
    return Parsed(result, positions, problems)


def _child_pointer(stack: list[_Frame]) -> str:
    if not stack:
        return ""
    frame = stack[-1]
    if isinstance(frame.container, list):
        return jp.join(frame.pointer, len(frame.container))
    assert frame.key is not None
    return jp.join(frame.pointer, frame.key)


def parse_json_fast(text: str, limits: Limits = DEFAULT_LIMITS) -> Any | None:
    """Parse JSON without positions when it is clean; None when the YAML path must run instead
    (duplicate keys need their positions, and JSON that `json` rejects gets YAML's messages)."""
    duplicates = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicates
        result = dict(items)
        if len(result) != len(items):
            duplicates = True
        return result

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return None
    if duplicates or _depth_exceeds(data, limits.max_depth):
        return None
    return data


def _depth_exceeds(data: Any, limit: int) -> bool:
    todo: list[tuple[Any, int]] = [(data, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict):
            if depth > limit:
                return True
            todo.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            if depth > limit:
                return True
            todo.extend((v, depth + 1) for v in value)
    return False
