"""Server URLs as templates: which documented server a request URL was sent to, and the path
left for the operation's template once the server's own path is taken off.

A server URL may hold `{variables}` anywhere (`https://{region}.example.com/{version}`); each
matches what its `enum` lists, else any run of characters without `/` (in the host too, so a
variable may span labels).
A relative server URL (`/v2`, or OpenAPI's default `/`) matches any scheme and host. Which
operation a request reaches is decided by the path alone (`strip`); the host is there to
ask (`matches_host`).
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from functools import cached_property

from generator.openapi.model import Server

_VARIABLE = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class ServerTemplate:
    server: Server

    @cached_property
    def _parts(self) -> tuple[str | None, re.Pattern[str] | None, re.Pattern[str]]:
        """(scheme, host pattern, path pattern) of the URL, from the written template."""
        url = self.server.url.strip()
        scheme: str | None = None
        host: re.Pattern[str] | None = None
        rest = url
        match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*|\{[^{}]+\})://", url)
        if match:
            scheme_text = match.group(1)
            scheme = None if scheme_text.startswith("{") else scheme_text.lower()
            rest = url[match.end() :]
            host_text, slash, path_text = rest.partition("/")
            host = self._compile(host_text, segment=r"[^/]+", flags=re.IGNORECASE)
            rest = slash + path_text
        elif url.startswith("//"):
            host_text, slash, path_text = url[2:].partition("/")
            host = self._compile(host_text, segment=r"[^/]+", flags=re.IGNORECASE)
            rest = slash + path_text
        path = rest.split("?", 1)[0].split("#", 1)[0].rstrip("/")
        return scheme, host, self._compile(path, segment=r"[^/]*", prefix=True)

    def _compile(
        self, template: str, *, segment: str, prefix: bool = False, flags: int = 0
    ) -> re.Pattern[str]:
        parts: list[str] = []
        position = 0
        for match in _VARIABLE.finditer(template):
            parts.append(re.escape(template[position : match.start()]))
            variable = self.server.variables.get(match.group(1))
            if variable is not None and variable.enum:
                parts.append("(?:" + "|".join(re.escape(v) for v in variable.enum) + ")")
            else:
                parts.append(segment)
            position = match.end()
        parts.append(re.escape(template[position:]))
        tail = r"(?P<rest>/.*)?$" if prefix else "$"
        return re.compile("^" + "".join(parts) + tail, flags)

    def strip(self, url: str) -> str | None:
        """The path left after this server's path, when `url` (absolute, or a bare path) can
        have been sent to this server; None when it cannot. Only the path is compared: traffic
        is often recorded against another host (a local fake, a gateway) than the one the
        spec names, and the server's path still tells where the operation's path starts."""
        _, _, path = self._parts
        parts = urllib.parse.urlsplit(url)
        request_path = parts.path or "/"
        match = path.match(request_path)
        if match is None:
            return None
        return match.group("rest") or "/"

    def matches_host(self, url: str) -> bool:
        """Whether an absolute `url`'s scheme and host fit this server (a relative server URL
        fits any)."""
        scheme, host, _ = self._parts
        parts = urllib.parse.urlsplit(url)
        if not (parts.scheme and parts.netloc):
            return True
        if scheme is not None and parts.scheme.lower() != scheme:
            return False
        return host is None or bool(host.match(parts.netloc) or host.match(parts.hostname or ""))


class ServerMatcher:
    """The servers an operation may be called on, compiled once."""

    def __init__(self, servers: tuple[Server, ...]) -> None:
        self.templates = tuple(ServerTemplate(server) for server in servers)

    def paths(self, url: str) -> list[str]:
        """Every path an operation template may be matched against for a request to `url`:
        what is left after each server that fits (longest server path first), then the URL's
        own path (traffic recorded without the server's prefix)."""
        own = urllib.parse.urlsplit(url).path or "/"
        found: list[str] = []
        for template in self.templates:
            rest = template.strip(url)
            if rest is not None and rest not in found:
                found.append(rest)
        found.sort(key=len)
        if own not in found:
            found.append(own)
        return found
