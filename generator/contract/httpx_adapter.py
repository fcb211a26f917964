"""Turn httpx requests and responses into exchanges (for the library API and pytest plugin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.contract.exchange import Request, Response

if TYPE_CHECKING:
    import httpx


def _text(content: bytes, charset: str | None) -> str | None:
    if not content:
        return None
    try:
        return content.decode(charset or "utf-8")
    except (UnicodeDecodeError, LookupError):
        return content.decode("latin-1")


def from_httpx_request(request: httpx.Request) -> Request:
    try:
        content = request.content
    except Exception:  # a streaming body that was not read: check without it
        content = b""
    return Request(
        method=request.method,
        url=str(request.url),
        headers=tuple((k, v) for k, v in request.headers.multi_items()),
        text=_text(content, None),
    )


def from_httpx_response(response: httpx.Response) -> Response:
    try:
        content = response.content
    except Exception:  # not read yet
        content = response.read()
    return Response(
        status=response.status_code,
        headers=tuple(
            (k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"
        ),  # httpx already decoded it
        text=_text(content, response.charset_encoding),
    )
