"""Bodies as they travelled -> what their schema can judge.

* `decode_content`: undo `Content-Encoding` (gzip, deflate, br; several in the order applied),
  with a limit on the decoded size. A HAR body may already be decoded (HAR 1.2 records the
  decoded body and keeps the header): such a body that is not in the coding is taken as it
  is. Anywhere else it is a finding.
* `read_form`: `application/x-www-form-urlencoded` -> an object, each property read by the
  style and explode of its `encoding` entry (form, exploded, by default) or as the media type
  its `contentType` names (JSON is parsed).
* `read_multipart`: `multipart/*` -> an object, one property per part name (an array
  property gathers its parts). A part is read by its `encoding` `contentType`, else by the
  default OpenAPI gives its property's schema: JSON for objects and arrays, bytes for
  `format: binary` (or `contentMediaType`/`contentEncoding`) strings, text for the rest.
  A part whose Content-Type is not the one its encoding allows is a finding.
* `read_text`: text in its `charset` (UTF-8 when none is given).
* `sniff`: whether bytes contradict the binary media type they claim (a PNG that does not
  start like one); `size_problem`: a string schema's length limits applied to bytes.

Multipart is parsed with the standard library's `email` parser (the MIME grammar is the
same); the rest is small and follows the RFCs named in each function.
"""

from __future__ import annotations

import urllib.parse
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import brotli  # type: ignore[import-untyped]

from generator.contract import jsontext, params
from generator.openapi import media
from generator.openapi.model import Encoding, MediaType

if TYPE_CHECKING:
    from email.message import Message as MimeMessage

#: a decoded body larger than this is not checked (a decompression bomb stops here)
MAX_DECODED = 256 * 1024 * 1024

Resolver = params.Resolver


class BodyProblem(ValueError):
    """A body that cannot be read as what it claims to be. `kind` is a contract finding kind
    (`invalid_json`, `wrong_content_type`, `other`)."""

    def __init__(
        self, kind: str, expected: Any, actual: Any, message: str, pointer: str = ""
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.expected = expected
        self.actual = actual
        self.message = message
        self.pointer = pointer


@dataclass
class FieldProblem:
    """Something wrong with one field of a form or multipart body."""

    pointer: str
    kind: str
    expected: Any
    actual: Any
    message: str
    schema_pointer: str = ""


@dataclass
class Read:
    """A form or multipart body read into an object, and what was wrong with single fields."""

    value: dict[str, Any]
    problems: list[FieldProblem] = field(default_factory=list)


# -- Content-Encoding ----------------------------------------------------------------------------
def codings(header: str | None) -> list[str]:
    """The codings a Content-Encoding header names, in the order they were applied."""
    if not header:
        return []
    found = [c.strip().lower() for c in header.split(",")]
    return [c for c in found if c not in ("", "identity")]


def _zlib(data: bytes, wbits: int) -> bytes:
    engine = zlib.decompressobj(wbits)
    out = engine.decompress(data, MAX_DECODED + 1)
    if len(out) > MAX_DECODED:
        raise OverflowError
    if not engine.eof or engine.unused_data:
        raise ValueError("truncated or followed by other data")
    return out


def _brotli(data: bytes) -> bytes:
    engine = brotli.Decompressor()
    out = engine.process(data, output_buffer_limit=MAX_DECODED + 1)
    if len(out) > MAX_DECODED:
        raise OverflowError
    if not engine.is_finished():
        raise ValueError("truncated")
    return bytes(out)


def _undo(coding: str, data: bytes) -> bytes:
    if coding in ("gzip", "x-gzip"):
        if data[:2] != b"\x1f\x8b":
            raise ValueError("no gzip header")
        return _zlib(data, 16 + zlib.MAX_WBITS)
    if coding == "deflate":
        # RFC 9110 says zlib-wrapped; some servers send raw deflate, which is read too
        try:
            return _zlib(data, zlib.MAX_WBITS)
        except zlib.error:
            return _zlib(data, -zlib.MAX_WBITS)
    if coding == "br":
        return _brotli(data)
    raise LookupError(coding)


def decode_content(data: bytes, header: str | None, maybe_decoded: bool) -> bytes:
    """The body with its Content-Encoding undone; BodyProblem when it cannot be."""
    found = codings(header)
    for coding in reversed(found):
        try:
            data = _undo(coding, data)
        except LookupError:
            raise BodyProblem(
                "other",
                ["gzip", "deflate", "br"],
                coding,
                f"Content-Encoding {coding!r} is not one the checker can decode; the body "
                "was not checked",
            ) from None
        except OverflowError:
            raise BodyProblem(
                "other",
                f"at most {MAX_DECODED} bytes decoded",
                "more",
                f"the {coding} body decodes to more than {MAX_DECODED} bytes; it was not checked",
            ) from None
        except (ValueError, zlib.error, brotli.error) as exc:
            if maybe_decoded:
                return data  # HAR: the recorder wrote the decoded body
            raise BodyProblem(
                "other",
                f"a {coding} body",
                f"{len(data)} bytes that are not {coding}",
                f"Content-Encoding says {coding}, but the body is not ({exc})",
            ) from None
    return data


# -- text ----------------------------------------------------------------------------------------
def charset(content_type: str) -> str | None:
    return media.parse(content_type).parameter("charset")


def read_text(data: bytes, content_type: str) -> str:
    """Text in the charset its Content-Type names, UTF-8 when it names none (RFC 6657: a text
    type's default is up to its registration; UTF-8 is what the web sends)."""
    name = charset(content_type) or "utf-8"
    try:
        return data.decode(name)
    except LookupError:
        raise BodyProblem(
            "wrong_content_type",
            "a known charset",
            name,
            f"charset {name!r} is not one the checker knows",
        ) from None
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex().upper()
        raise BodyProblem(
            "other",
            f"{name} text",
            f"byte 0x{bad} at offset {exc.start}",
            f"the body is not {name} text: byte 0x{bad} at offset {exc.start}",
        ) from None


# -- form-urlencoded -----------------------------------------------------------------------------
def _properties(schema: Any, resolve: Resolver) -> dict[str, Any]:
    """Declared properties of an object schema (through `$ref` and `allOf`)."""
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return {}
    found: dict[str, Any] = {}
    for branch in schema.get("allOf") or ():
        found.update(_properties(branch, resolve))
    props = schema.get("properties")
    if isinstance(props, dict):
        found.update(props)
    return found


def _extra_schema(schema: Any, resolve: Resolver) -> Any:
    schema = resolve(schema)
    extra = schema.get("additionalProperties", {}) if isinstance(schema, dict) else {}
    return extra if isinstance(extra, dict) else {}


#: a field whose value could not be read (reported once, and left out of the object)
UNREADABLE: Any = object()


def _json_field(text: str | bytes, name: str, problems: list[FieldProblem], at: str) -> Any:
    try:
        return jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        shown = text if isinstance(text, str) else text.decode("utf-8", "replace")
        problems.append(
            FieldProblem(
                at,
                "invalid_json",
                "JSON",
                shown[:80],
                f"field {name!r} is not valid JSON: {exc.message}",
            )
        )
        return UNREADABLE


def read_form(data: bytes, chosen: MediaType, schema: Any, resolve: Resolver) -> Read:
    """An urlencoded body (WHATWG URL "application/x-www-form-urlencoded" parsing: `+` is a
    space, percent-escapes are UTF-8) as an object."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise BodyProblem(
            "other",
            "percent-encoded ASCII",
            f"byte 0x{data[exc.start : exc.start + 1].hex().upper()} at offset {exc.start}",
            "a form-urlencoded body is ASCII (other characters are percent-encoded); "
            f"byte 0x{data[exc.start : exc.start + 1].hex().upper()} at offset {exc.start} "
            "is not",
        ) from None
    pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, errors="replace")
    declared = _properties(schema, resolve)
    read = Read({})
    claimed = set(declared)
    for name, prop in declared.items():
        encoding = chosen.encoding.get(name)
        at = "/" + name.replace("~", "~0").replace("/", "~1")
        if encoding is not None and encoding.content_type is not None:
            values = [value for key, value in pairs if key == name]
            if values:
                if media.is_json(encoding.content_type):
                    read.value[name] = _json_field(values[0], name, read.problems, at)
                else:
                    read.value[name] = values[0]
            continue
        style = encoding.style.value if encoding is not None else "form"
        explode = encoding.explode if encoding is not None else True
        wire = params.Wire(name, style, explode, prop)
        try:
            present, value = params.read_query(wire, pairs, claimed - {name}, resolve)
        except params.StyleProblem as problem:
            read.problems.append(
                FieldProblem(at, "bad_format", problem.expected, problem.actual, problem.message)
            )
            continue
        if present:
            read.value[name] = params.coerce(value, prop, resolve)
    extra = _extra_schema(schema, resolve)
    for key, value in pairs:
        if key not in declared and key not in read.value:
            read.value[key] = params.coerce(value, extra, resolve)
    read.value = {k: v for k, v in read.value.items() if v is not UNREADABLE}
    return read


# -- multipart -----------------------------------------------------------------------------------
def _parse_multipart(data: bytes, content_type: str) -> list[MimeMessage]:
    if not media.parse(content_type).parameter("boundary"):
        raise BodyProblem(
            "wrong_content_type",
            "a boundary parameter",
            content_type,
            f"Content-Type {content_type!r} has no boundary, so the parts cannot be found",
        )
    import email.parser  # only multipart bodies need it
    import email.policy
    from email.message import Message as MimeMessage

    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + data)
    if not parsed.is_multipart():
        raise BodyProblem("other", "multipart parts", "none", "the multipart body holds no parts")
    parts = parsed.get_payload()
    if parsed.defects and not parts:
        raise BodyProblem(
            "other",
            "multipart parts",
            str(parsed.defects[0]),
            f"the multipart body cannot be read: {parsed.defects[0]}",
        )
    return [p for p in parts if isinstance(p, MimeMessage)]


def _is_binary(schema: Any, resolve: Resolver) -> bool:
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return False
    return (
        schema.get("format") in ("binary", "base64")
        or "contentMediaType" in schema
        or "contentEncoding" in schema
    )


def default_part_type(schema: Any, resolve: Resolver) -> str:
    """OpenAPI's default Content-Type of a multipart part by its property's schema."""
    found = params.kinds(schema, resolve) - {"null"}
    if found & {"object", "array"} and not found & {"string", "integer", "number", "boolean"}:
        return "application/json"
    if _is_binary(schema, resolve):
        return "application/octet-stream"
    return "text/plain"


def _allowed(encoding: Encoding | None, schema: Any, resolve: Resolver) -> list[str]:
    """The Content-Types a part may have: what its `encoding` lists, else anything (OpenAPI's
    default is how a part without a Content-Type is read, not a rule: a file part sent as
    image/png is not wrong for lacking application/octet-stream). The first is how a part
    without a Content-Type is read."""
    if encoding is not None and encoding.content_type:
        return [t.strip() for t in encoding.content_type.split(",") if t.strip()]
    return [default_part_type(schema, resolve), "*/*"]


def _part_value(
    part: MimeMessage,
    name: str,
    schema: Any,
    allowed: list[str],
    at: str,
    resolve: Resolver,
    problems: list[FieldProblem],
) -> Any:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    declared = part.get("Content-Type")
    actual = str(declared) if declared is not None else None
    effective = actual or allowed[0]
    if actual is not None and not any(media.matches(a, actual) for a in allowed):
        problems.append(
            FieldProblem(
                at,
                "wrong_content_type",
                allowed,
                actual,
                f"part {name!r} is {actual}, where its encoding allows {', '.join(allowed)}",
            )
        )
    if media.is_json(effective) and not _is_binary(schema, resolve):
        return _json_field(raw, name, problems, at)
    if _is_binary(schema, resolve) or media.classify(effective) is media.MediaKind.BINARY:
        return raw.decode("latin-1")  # one character per byte: lengths count bytes
    try:
        text = raw.decode(charset(effective) or "utf-8")
    except (LookupError, UnicodeDecodeError):
        problems.append(
            FieldProblem(
                at,
                "other",
                "text",
                f"{len(raw)} bytes",
                f"part {name!r} is not text in its charset",
            )
        )
        return UNREADABLE
    return params.coerce(text, schema, resolve)


def read_multipart(
    data: bytes, content_type: str, chosen: MediaType, schema: Any, resolve: Resolver
) -> Read:
    parts = _parse_multipart(data, content_type)
    declared = _properties(schema, resolve)
    extra = _extra_schema(schema, resolve)
    by_name: dict[str, list[MimeMessage]] = {}
    read = Read({})
    for position, part in enumerate(parts):
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            read.problems.append(
                FieldProblem(
                    f"/{position}",
                    "other",
                    "a Content-Disposition name",
                    None,
                    f"multipart part {position} has no name (Content-Disposition: form-data; "
                    "name=...)",
                )
            )
            continue
        by_name.setdefault(name, []).append(part)
    for name, found in by_name.items():
        prop = declared.get(name, extra)
        at = "/" + name.replace("~", "~0").replace("/", "~1")
        encoding = chosen.encoding.get(name)
        resolved = resolve(prop)
        items = resolved.get("items", {}) if isinstance(resolved, dict) else {}
        is_array = params.shape(prop, resolve) == "array"
        if is_array:
            allowed = _allowed(encoding, items, resolve)
            values = [
                _part_value(p, name, items, allowed, f"{at}/{i}", resolve, read.problems)
                for i, p in enumerate(found)
            ]
            read.value[name] = [v for v in values if v is not UNREADABLE]
        else:
            allowed = _allowed(encoding, prop, resolve)
            read.value[name] = _part_value(
                found[0], name, prop, allowed, at, resolve, read.problems
            )
            if len(found) > 1:
                read.problems.append(
                    FieldProblem(
                        at,
                        "wrong_type",
                        "one part",
                        f"{len(found)} parts",
                        f"{len(found)} parts are named {name!r}, whose schema is not an array",
                    )
                )
            if read.value[name] is UNREADABLE:
                del read.value[name]
        if encoding is not None:
            for header in encoding.headers:
                if header.required and all(p.get(header.name) is None for p in found):
                    read.problems.append(
                        FieldProblem(
                            at,
                            "missing_parameter",
                            header.name,
                            None,
                            f"part {name!r} lacks its required header {header.name!r}",
                            header.loc.pointer,
                        )
                    )
    return read


# -- binary --------------------------------------------------------------------------------------
#: how files of some binary media types start (their registrations' magic numbers)
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "application/gzip": (b"\x1f\x8b",),
}


def sniff(data: bytes, content_type: str) -> str | None:
    """Why the bytes cannot be of `content_type` (None when they can, or it is not known)."""
    signatures = SIGNATURES.get(media.parse(content_type).essence)
    if signatures is None or not data:
        return None
    if any(data.startswith(s) for s in signatures):
        return None
    start = data[:8].hex(" ").upper()
    return f"the body does not start like {media.parse(content_type).essence} (it starts {start})"


def size_problem(size: int, schema: Any) -> tuple[str, str, int] | None:
    """(keyword, expected, limit) of a string schema's length limit that `size` (bytes of a
    binary body) breaks."""
    if not isinstance(schema, dict):
        return None
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(high, int) and size > high:
        return "maxLength", f"at most {high} bytes", high
    if isinstance(low, int) and size < low:
        return "minLength", f"at least {low} bytes", low
    return None
