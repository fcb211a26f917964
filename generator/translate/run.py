"""`apicontract translate`: traffic in one Zuora style -> the same traffic in the other.

The input is read as `check` reads it (JSONL or HAR, told apart by content; `-` for standard
input), streamed one exchange at a time, and written in the same format: each JSONL line or
HAR entry keeps everything the translation does not touch (timings, comments, extra keys). An
exchange with no counterpart is left out; every problem is reported with the exchange and the
pointer, on standard error (or as JSON lines with `--report-format json`).
"""

from __future__ import annotations

import contextlib
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson

from generator import __version__
from generator.atomic import atomic_text
from generator.contract.exchange import NO_BODY, InvalidInput
from generator.contract.traffic import STDIN, TrafficError, check_sources, decode, read_raw
from generator.translate.engine import Problem, Result, Translated, Translator, status_text
from generator.translate.mapping import Style

__all__ = ["Summary", "TranslateError", "translate_traffic"]


class TranslateError(Exception):
    """The run cannot happen (exit 2): the message names the file."""


@dataclass
class Summary:
    exchanges: int = 0
    translated: int = 0
    left_out: int = 0
    problems: int = 0

    @property
    def exit_code(self) -> int:
        return 0 if self.problems == 0 else 1

    def render(self) -> str:
        return (
            f"{self.exchanges} exchanges: {self.translated} translated, {self.left_out} left "
            f"out, {self.problems} problem{'' if self.problems == 1 else 's'}"
        )


def translate_traffic(
    source: str,
    to: Style,
    *,
    output: str | Path | None = None,
    mapping: str | Path | None = None,
    out: TextIO | None = None,
    report: TextIO | None = None,
    report_format: str = "text",
    translator: Translator | None = None,
) -> Summary:
    """Translate the traffic in `source` (a path or `-`) into style `to`, written to `output`
    (atomically) or to `out` (standard output by default); problems go to `report`
    (standard error by default). Raises TranslateError when the input cannot be read."""
    try:
        check_sources([source])
    except TrafficError as exc:
        raise TranslateError(str(exc)) from None
    engine = translator or Translator.load(mapping)
    summary = Summary()
    report = report if report is not None else sys.stderr
    with _destination(output, out) as sink:
        writer: _Writer | None = None
        try:
            for item in read_raw([source]):
                if writer is None:
                    writer = _Writer(sink, item.format)
                summary.exchanges += 1
                decoded = decode(item)
                where = _where(item.source, item.format, item.line)
                if isinstance(decoded, InvalidInput):
                    summary.left_out += 1
                    summary.problems += 1
                    _report(report, report_format, decoded.index, where, "", [
                        Problem("request", "operation", "", decoded.message, True)
                    ])  # fmt: skip
                    continue
                try:
                    result = engine.exchange(decoded, to)
                except Exception as exc:  # an engine bug must not end a long run
                    why = f"the translator failed on this exchange ({type(exc).__name__}: {exc})"
                    result = Result(None, [Problem("request", "operation", "", why, True)])
                if result.problems:
                    summary.problems += len(result.problems)
                    label = f"{decoded.request.method.upper()} {decoded.request.url}"
                    _report(report, report_format, decoded.index, where, label, result.problems)
                if result.translated is None:
                    summary.left_out += 1
                    continue
                assert item.data is not None
                writer.write(orjson.loads(item.data), result.translated)
                summary.translated += 1
        except TrafficError as exc:
            raise TranslateError(str(exc)) from None
        if writer is None:
            writer = _Writer(sink, _format_of(source))
        writer.close()
    if report_format == "text":
        report.write(summary.render() + "\n")
    report.flush()
    return summary


def _format_of(source: str) -> str:
    """The format of an input with no exchanges (an empty HAR still answers with a HAR)."""
    if source == STDIN:
        return "jsonl"
    with contextlib.suppress(OSError, orjson.JSONDecodeError):
        data = orjson.loads(Path(source).read_bytes())
        if isinstance(data, dict) and isinstance(data.get("log"), dict):
            return "har"
    return "jsonl"


@contextlib.contextmanager
def _destination(output: str | Path | None, out: TextIO | None) -> Iterator[TextIO]:
    if output is None:
        yield out if out is not None else sys.stdout
        return
    path = Path(output)
    try:
        with atomic_text(path) as sink:
            yield sink
    except OSError as exc:
        raise TranslateError(f"{output}: cannot write: {exc.strerror or exc}") from None


def _where(source: str, fmt: str, line: int | None) -> str:
    unit = "line" if fmt == "jsonl" else "entry"
    return f"{source} {unit} {line}" if line is not None else source


def _report(
    report: TextIO, fmt: str, index: int, where: str, label: str, problems: list[Problem]
) -> None:
    if fmt == "json":
        for problem in problems:
            record = {"exchange": index, "where": where, "request": label, **problem.to_json()}
            report.write(orjson.dumps(record).decode() + "\n")
        return
    report.write(f"#{index} {label} ({where})\n" if label else f"#{index} ({where})\n")
    for problem in problems:
        report.write(f"  {problem.render()}\n")


# -- writing -------------------------------------------------------------------------------------
def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _headers_like(original: Any, headers: list[tuple[str, str]]) -> Any:
    """The translated headers in the form the input used for them."""
    if isinstance(original, dict):
        out: dict[str, Any] = {}
        for name, value in headers:
            if name in out:
                previous = out[name]
                out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                out[name] = value
        return out
    if isinstance(original, list) and original and isinstance(original[0], dict):
        return [{"name": n, "value": v} for n, v in headers]
    return [[n, v] for n, v in headers]


class _Writer:
    def __init__(self, sink: TextIO, fmt: str) -> None:
        self.sink = sink
        self.format = fmt
        self.entries = 0
        if fmt == "har":
            creator = {"name": "apicontract translate", "version": __version__}
            sink.write('{"log":{"version":"1.2","creator":' + _dumps(creator) + ',"entries":[\n')

    def write(self, raw: Any, translated: Translated) -> None:
        if self.format == "har":
            entry = _har_entry(raw, translated)
            self.sink.write((",\n" if self.entries else "") + _dumps(entry))
        else:
            self.sink.write(_dumps(_jsonl_line(raw, translated)) + "\n")
        self.entries += 1

    def close(self) -> None:
        if self.format == "har":
            self.sink.write("\n]}}\n")
        self.sink.flush()


def _jsonl_line(raw: dict[str, Any], t: Translated) -> dict[str, Any]:
    line = dict(raw)
    request = dict(raw["request"])
    request.update(method=t.method, url=t.url)
    request["headers"] = _headers_like(raw["request"].get("headers"), t.request_headers)
    _jsonl_body(request, t.request_body)
    line["request"] = request
    if t.status is not None and isinstance(raw.get("response"), dict):
        response = dict(raw["response"])
        response["status"] = t.status
        response["headers"] = _headers_like(raw["response"].get("headers"), t.response_headers)
        _jsonl_body(response, t.response_body)
        line["response"] = response
    return line


def _jsonl_body(message: dict[str, Any], body: Any) -> None:
    as_text = "body_text" in message and "body" not in message
    message.pop("body", None)
    message.pop("body_text", None)
    if body is NO_BODY:
        return
    if as_text:
        message["body_text"] = _dumps(body)
    else:
        message["body"] = body


def _har_entry(raw: dict[str, Any], t: Translated) -> dict[str, Any]:
    entry = dict(raw)
    request = dict(raw.get("request") or {})
    request.update(method=t.method, url=t.url, headersSize=-1)
    request["headers"] = [{"name": n, "value": v} for n, v in t.request_headers]
    query = urllib.parse.urlsplit(t.url).query
    request["queryString"] = [
        {"name": k, "value": v} for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)
    ]
    if t.request_body is NO_BODY:
        request.pop("postData", None)
        request["bodySize"] = 0
    else:
        text = _dumps(t.request_body)
        post = dict(request.get("postData") or {})
        post.pop("params", None)
        post.update(mimeType=_content_type(t.request_headers), text=text)
        request["postData"] = post
        request["bodySize"] = len(text.encode())
    entry["request"] = request
    if t.status is not None:
        response = dict(raw.get("response") or {})
        response.update(status=t.status, statusText=status_text(t.status), headersSize=-1)
        response["headers"] = [{"name": n, "value": v} for n, v in t.response_headers]
        if t.response_body is NO_BODY:
            response["content"] = {"size": 0, "mimeType": ""}
            response["bodySize"] = 0
        else:
            text = _dumps(t.response_body)
            size = len(text.encode())
            mime = _content_type(t.response_headers)
            response["content"] = {"size": size, "mimeType": mime, "text": text}
            response["bodySize"] = size
        entry["response"] = response
    return entry


def _content_type(headers: list[tuple[str, str]]) -> str:
    return next((v for n, v in headers if n.lower() == "content-type"), "application/json")
