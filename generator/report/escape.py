"""Escaping for every place a report puts text that came from a spec or from traffic: a
terminal (control characters), XML (JUnit), GitHub workflow commands and HTML.

Nothing a spec or a recording holds can reach a terminal as a control sequence, break out of
an XML attribute, end a workflow command early or become markup.
"""

from __future__ import annotations

import html
import re
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr

MAX_VALUE = 240

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """Control characters as `\\xNN` (a URL or value in the traffic may carry ANSI sequences)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def shorten(text: str, limit: int = MAX_VALUE) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def xml_safe(text: str) -> str:
    """Characters XML 1.0 cannot carry at all, as `\\uXXXX`."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def xml_attr(text: str) -> str:
    """A quoted XML attribute value."""
    return quoteattr(xml_safe(text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def xml_text(text: str) -> str:
    """XML element content."""
    return _xml_escape(xml_safe(text))


def workflow_data(text: str) -> str:
    """The message of a GitHub workflow command (`::error ...::MESSAGE`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a GitHub workflow command (`file=`, `title=`)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def html_text(text: str) -> str:
    """HTML element content or a quoted attribute value."""
    return html.escape(xml_safe(text), quote=True)
