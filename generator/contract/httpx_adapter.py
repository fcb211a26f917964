"""Turn httpx requests and responses into exchanges (for the library API and pytest plugin).

Bodies are passed on as the bytes that travelled: the body checks read them by their media
type (JSON must be UTF-8, text has its charset, binary is bytes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.contract.exchange import Request, Response

if TYPE_CHECKING:
    import httpx


def from_httpx_request(request: httpx.Request) -> Request:
    try:
        content = request.content
    except Exception:  # a streaming body that was not read: check without it
        content = b""
    return Request(
        method=request.method,
        url=str(request.url),
        headers=tuple((k, v) for k, v in request.headers.multi_items()),
        data=content or None,
    )


def from_httpx_response(response: httpx.Response) -> Response:
    try:
        content = response.content
    except Exception:  # not read yet
        content = response.read()
    return Response(
        status=response.status_code,
        headers=tuple(
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length")
        ),  # httpx already decoded the body: the headers describe the bytes it had
        data=content or None,
    )
