"""What a recording must not keep: credentials.

HAR files are natural CI artifacts, so by default a recording writes `REDACTED` where a
credential was:

* the values of `Authorization` and `Proxy-Authorization` (a standard scheme word such as
  `Bearer` or `Basic` is kept, so the recording still shows how the caller authenticated:
  `Bearer REDACTED`), of `Cookie` and `Set-Cookie` (cookie names and `Set-Cookie` attributes
  are kept, every cookie value is replaced: `session=REDACTED; theme=REDACTED`);
* every header, query or cookie parameter that one of the spec's security schemes names
  (`type: apiKey`, `in: header | query | cookie`), and the `access_token` query parameter of
  RFC 6750 (bearer tokens in the URL), wherever they appear: headers, the URL, `queryString`;
* any other place the same secret values turn up in the entry (a server echoing the token in a
  header or a text body, a finding quoting it).

Presence is kept, value is not: `apicontract check` judges security requirements by whether a
credential is there, so a redacted recording is judged the same as the original.

`Redactor(keep=True)` changes nothing (`--keep-secrets`, `--apicontract-keep-secrets`).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.openapi.model import OpenApi

REDACTED = "REDACTED"

#: headers whose value is a credential whatever the spec says (lower-case)
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})
#: query parameters that carry a credential whatever the spec says (RFC 6750 section 2.3)
CREDENTIAL_QUERY = frozenset({"access_token"})
#: authentication scheme words kept before `REDACTED` (IANA's HTTP Authentication Scheme
#: registry, plus `Token` and `AWS4-HMAC-SHA256` seen in the wild); anything else is replaced
#: whole, so an unusual value never leaks its first word
AUTH_SCHEMES = frozenset(
    {"basic", "bearer", "concealed", "digest", "dpop", "gnap", "hoba", "mutual", "negotiate",
     "ntlm", "oauth", "privatetoken", "scram-sha-1", "scram-sha-256", "vapid", "token",
     "aws4-hmac-sha256"}
)  # fmt: skip
#: secret values shorter than this are not searched for elsewhere in an entry (a one-letter
#: value would blank out unrelated text); they are still replaced where they were sent
MIN_SCRUB_LENGTH = 6


@dataclass(frozen=True)
class Credentials:
    """The parameters a spec's security schemes name: header names (lower-case), query and
    cookie parameter names (as written, since both are case-sensitive)."""

    headers: frozenset[str] = frozenset()
    query: frozenset[str] = frozenset()
    cookies: frozenset[str] = frozenset()

    @classmethod
    def of_model(cls, model: OpenApi) -> Credentials:
        """The names the spec's `apiKey` security schemes give their keys (read from the
        shared OpenAPI model, which follows `$ref`s)."""
        from generator.openapi.model import ParameterIn, SecurityType

        headers: set[str] = set()
        query: set[str] = set()
        cookies: set[str] = set()
        for scheme in model.security_schemes.values():
            if scheme.type is not SecurityType.API_KEY or not scheme.key_name:
                continue
            if scheme.key_location is ParameterIn.HEADER:
                headers.add(scheme.key_name.lower())
            elif scheme.key_location is ParameterIn.QUERY:
                query.add(scheme.key_name)
            elif scheme.key_location is ParameterIn.COOKIE:
                cookies.add(scheme.key_name)
        return cls(frozenset(headers), frozenset(query), frozenset(cookies))


@dataclass
class Redactor:
    """Replaces credentials in headers and URLs, and remembers the values it replaced so the
    rest of an entry can be searched for them (`scrub`). One per entry (`for_entry`)."""

    credentials: Credentials = field(default_factory=Credentials)
    keep: bool = False
    seen: set[str] = field(default_factory=set)

    def for_entry(self) -> Redactor:
        return Redactor(self.credentials, self.keep)

    # -- headers -------------------------------------------------------------------------
    def header(self, name: str, value: str) -> str:
        if self.keep:
            return value
        lower = name.lower()
        if lower in CREDENTIAL_HEADERS:
            return self._authorization(value)
        if lower == "cookie":
            return self._cookie(value)
        if lower == "set-cookie":
            return self._set_cookie(value)
        if lower in self.credentials.headers:
            return self._secret(value)
        if lower in ("location", "content-location", "referer"):
            return self.url(value)
        return value

    def _secret(self, value: str) -> str:
        if value and value != REDACTED:
            self.seen.add(value)
            self.seen.add(value.strip())
        return REDACTED

    def _authorization(self, value: str) -> str:
        scheme, space, credential = value.strip().partition(" ")
        if space and credential.strip() and scheme.lower() in AUTH_SCHEMES:
            self._secret(value)
            self._secret(credential.strip())
            return f"{scheme} {REDACTED}"
        return self._secret(value)

    def _cookie(self, value: str) -> str:
        """`a=1; b=2` -> `a=REDACTED; b=REDACTED` (names kept, for presence)."""
        pairs = []
        for part in value.split(";"):
            name, eq, cookie = part.strip().partition("=")
            if not part.strip():
                continue
            if eq:
                self._secret(cookie.strip().strip('"'))
                pairs.append(f"{name.strip()}={REDACTED}")
            else:
                pairs.append(self._secret(name))
        return "; ".join(pairs)

    def _set_cookie(self, value: str) -> str:
        """`s=abc; Path=/; HttpOnly` -> `s=REDACTED; Path=/; HttpOnly`."""
        first, sep, attributes = value.partition(";")
        name, eq, cookie = first.partition("=")
        if not eq:
            return self._secret(value)
        self._secret(cookie.strip().strip('"'))
        return f"{name.strip()}={REDACTED}{sep}{attributes}"

    # -- query strings ---------------------------------------------------------------------
    def is_secret_query(self, name: str) -> bool:
        return not self.keep and (name in self.credentials.query or name in CREDENTIAL_QUERY)

    def query_value(self, name: str, value: str) -> str:
        return self._secret(value) if self.is_secret_query(name) else value

    def url(self, url: str) -> str:
        """The URL with the value of every credential query parameter replaced; every other
        byte of it is kept as it was."""
        if self.keep or "?" not in url:
            return url
        head, _, rest = url.partition("?")
        query, hash_, fragment = rest.partition("#")
        parts = []
        for piece in query.split("&"):
            raw_name, eq, raw_value = piece.partition("=")
            name = urllib.parse.unquote_plus(raw_name)
            if eq and self.is_secret_query(name):
                self._secret(urllib.parse.unquote_plus(raw_value))
                self._secret(raw_value)
                piece = f"{raw_name}={REDACTED}"
            parts.append(piece)
        return f"{head}?{'&'.join(parts)}{hash_}{fragment}"

    # -- the rest of the entry -------------------------------------------------------------
    def scrub(self, value: Any) -> Any:
        """`value` (JSON data) with every secret value replaced wherever it occurs in a
        string; base64 body text is left alone (it cannot hold them verbatim)."""
        if self.keep:
            return value
        secrets = sorted((s for s in self.seen if len(s) >= MIN_SCRUB_LENGTH), key=len)[::-1]
        if not secrets:
            return value
        return _scrub(value, secrets)


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    if isinstance(value, dict):
        if value.get("encoding") == "base64":
            return {k: v if k == "text" else _scrub(v, secrets) for k, v in value.items()}
        return {k: _scrub(v, secrets) for k, v in value.items()}
    return value
