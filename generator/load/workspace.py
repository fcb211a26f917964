"""Load a spec and the documents its `$ref`s name, within a confined, network-free workspace.

* A file `$ref` may not leave the root spec's folder (symlinks are resolved before the check).
* A network `$ref` (http/https) is refused unless its host was allowed explicitly.
* Every document is parsed by `generator.load.parse` with its size, depth and alias limits.

Problems are reported as data (`RefProblem`, `InputError`), never as tracebacks.
"""

from __future__ import annotations

import hashlib
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.findings import Finding, InputError, Severity
from generator.load import pointer as jp
from generator.load.parse import (
    DEFAULT_LIMITS,
    Limits,
    Parsed,
    ParseError,
    parse_json_fast,
    parse_yaml,
)


@dataclass
class Document:
    """One parsed file: its data, where every value sits in the text, and how to name it."""

    uri: str
    display: str
    data: Any = field(repr=False)
    digest: str
    text: str = field(repr=False)
    _positions: dict[str, tuple[int, int]] | None = field(default=None, repr=False)
    problems: list[Finding] = field(default_factory=list, repr=False)

    @property
    def positions(self) -> dict[str, tuple[int, int]]:
        if self._positions is None:  # JSON parsed on the fast path: find positions on demand
            try:
                self._positions = parse_yaml(self.text).positions
            except ParseError:
                self._positions = {}
        return self._positions

    def position(self, pointer: str) -> tuple[int, int]:
        """Line and column of `pointer`, or of its nearest ancestor that has one."""
        positions = self.positions
        current = pointer
        while True:
            if current in positions:
                return positions[current]
            if not current:
                return (1, 1)
            current = jp.parent(current)

    def finding(
        self,
        pointer: str,
        rule: str,
        message: str,
        severity: Severity = Severity.ERROR,
        *,
        detail: str = "",
    ) -> Finding:
        line, column = self.position(pointer)
        return Finding(self.display, line, column, pointer, severity, rule, message, detail)


@dataclass(frozen=True)
class Loc:
    """Where a value sits: the document and the RFC 6901 pointer inside it."""

    doc: Document = field(compare=False)
    pointer: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.doc.uri, self.pointer)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Loc) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Loc({self.doc.display}#{self.pointer})"

    def child(self, *tokens: str | int) -> Loc:
        return Loc(self.doc, jp.join(self.pointer, *tokens))

    @property
    def line(self) -> int:
        return self.doc.position(self.pointer)[0]

    def finding(self, rule: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
        return self.doc.finding(self.pointer, rule, message, severity)


class RefProblem(Exception):
    """A `$ref` that cannot be followed; `rule` says why (unresolved, refused, outside root)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def parse_text(text: str, uri: str, display: str, limits: Limits) -> Document:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    data: Any = None
    parsed: Parsed | None = None
    if text.lstrip().startswith(("{", "[")):
        data = parse_json_fast(text, limits)
    if data is None:
        try:
            parsed = parse_yaml(text, limits)
        except ParseError as exc:
            raise InputError(
                Finding(display, exc.line, exc.column, "", Severity.ERROR, exc.rule, exc.message)
            ) from None
        data = parsed.data
    doc = Document(uri=uri, display=display, data=data, digest=digest, text=text)
    if parsed is not None:
        doc._positions = parsed.positions
        doc.problems = parsed.findings(display)
    return doc


def read_text(path: Path, display: str, limits: Limits) -> str:
    def fail(rule: str, message: str) -> InputError:
        return InputError(Finding(display, 1, 1, "", Severity.ERROR, rule, message))

    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise fail(
                "size-limit", f"file is {size:,} bytes; the limit is {limits.max_bytes:,} bytes"
            )
        raw = path.read_bytes()
    except InputError:
        raise
    except IsADirectoryError:
        raise fail("file-unreadable", "is a directory, expected a spec file") from None
    except FileNotFoundError:
        raise fail("file-unreadable", "no such file") from None
    except OSError as exc:
        raise fail("file-unreadable", f"cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail("file-unreadable", f"not UTF-8 text (byte {exc.start})") from None


def load_document(
    path: Path, display: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> Document:
    """Read and parse one file. Raises InputError (exit code 2) when it cannot."""
    shown = display if display is not None else str(path)
    text = read_text(path, shown, limits)
    return parse_text(text, path.resolve().as_uri(), shown, limits)


@dataclass
class Workspace:
    """The root document plus every document reached through `$ref`, with the loading policy."""

    root: Document
    root_dir: Path
    allow_remote: frozenset[str] = frozenset()
    limits: Limits = DEFAULT_LIMITS
    documents: dict[str, Document] = field(default_factory=dict)
    failures: dict[str, RefProblem] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.documents[self.root.uri] = self.root

    @classmethod
    def open(
        cls,
        path: Path,
        display: str | None = None,
        allow_remote: Iterable[str] = (),
        limits: Limits = DEFAULT_LIMITS,
    ) -> Workspace:
        root = load_document(path, display, limits)
        return cls(
            root=root,
            root_dir=path.resolve().parent,
            allow_remote=frozenset(h.lower() for h in allow_remote),
            limits=limits,
        )

    # -- documents ---------------------------------------------------------------------------
    def document(self, uri: str) -> Document:
        """The document at an absolute URI (without fragment), loaded under the policy."""
        if uri in self.documents:
            return self.documents[uri]
        if uri in self.failures:
            raise self.failures[uri]
        try:
            doc = self._load(uri)
        except RefProblem as problem:
            self.failures[uri] = problem
            raise
        self.documents[uri] = doc
        return doc

    def _load(self, uri: str) -> Document:
        parts = urllib.parse.urlsplit(uri)
        if parts.scheme == "file":
            path = Path(urllib.request.url2pathname(parts.path)).resolve()
            if not path.is_relative_to(self.root_dir):
                raise RefProblem(
                    "ref-outside-root",
                    f"file {path} is outside the spec's folder {self.root_dir}; refused",
                )
            display = self._display_for(path)
            try:
                return load_document(path, display, self.limits)
            except InputError as exc:
                raise RefProblem(
                    "ref-unresolved", f"cannot load {display}: {exc.finding.message}"
                ) from None
        if parts.scheme in ("http", "https"):
            host = (parts.hostname or "").lower()
            if host not in self.allow_remote:
                raise RefProblem(
                    "ref-remote-refused",
                    f"network reference to {host or uri} is refused; "
                    f"pass --allow-remote {host} to allow that host",
                )
            return self._fetch(uri)
        raise RefProblem("ref-unresolved", f"unsupported reference scheme {parts.scheme!r}")

    def _display_for(self, path: Path) -> str:
        root_display = Path(self.root.display)
        try:
            return str(root_display.parent / path.relative_to(self.root_dir))
        except ValueError:
            return str(path)

    def _fetch(self, uri: str) -> Document:
        try:
            with urllib.request.urlopen(uri, timeout=10) as response:
                raw = response.read(self.limits.max_bytes + 1)
        except OSError as exc:
            raise RefProblem("ref-unresolved", f"cannot fetch {uri}: {exc}") from None
        if len(raw) > self.limits.max_bytes:
            raise RefProblem(
                "ref-unresolved", f"{uri} is larger than {self.limits.max_bytes:,} bytes"
            )
        try:
            text = raw.decode("utf-8-sig")
            return parse_text(text, uri, uri, self.limits)
        except UnicodeDecodeError:
            raise RefProblem("ref-unresolved", f"{uri} is not UTF-8 text") from None
        except InputError as exc:
            raise RefProblem(
                "ref-unresolved", f"cannot parse {uri}: {exc.finding.message}"
            ) from None

    # -- references --------------------------------------------------------------------------
    def target(self, base: Document, ref: str) -> tuple[Document, str]:
        """Where `ref` (written in `base`) points: the document and the JSON pointer in it."""
        absolute = urllib.parse.urljoin(base.uri, ref)
        uri, _, fragment = absolute.partition("#")
        fragment = urllib.parse.unquote(fragment)
        if fragment and not fragment.startswith("/"):
            raise RefProblem(
                "ref-unresolved", f"{ref!r}: only JSON-pointer fragments (#/...) are supported"
            )
        doc = base if uri == base.uri else self.document(uri)
        return doc, fragment

    def resolve(self, base: Document, ref: str) -> tuple[Document, str, Any]:
        """Follow one `$ref`. Raises RefProblem naming what could not be found."""
        doc, pointer = self.target(base, ref)
        try:
            value = jp.resolve(doc.data, pointer)
        except KeyError as missing:
            raise RefProblem(
                "ref-unresolved",
                f"{ref!r} does not resolve: nothing at {missing.args[0]!r} in {doc.display}",
            ) from None
        return doc, pointer, value

    def deref(
        self, base: Document, pointer: str, value: Any, limit: int = 64
    ) -> tuple[Document, str, Any]:
        """Follow a chain of `$ref` objects to a concrete value (raises RefProblem on cycles)."""
        seen = 0
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            seen += 1
            if seen > limit:
                raise RefProblem("ref-cycle", f"$ref chain from {pointer!r} never ends")
            base, pointer, value = self.resolve(base, value["$ref"])
        return base, pointer, value
