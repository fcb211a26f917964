"""TRAFFIC arguments -> the files to read: paths, glob patterns (`logs/2024-*/*.jsonl`,
`**` included) and fsspec URLs (`s3://`, `gs://`, `file://`, ... with a glob in the path too).

URLs need fsspec (installed with `apicontract[dask]`) and the backend for their scheme (s3fs,
gcsfs, ...); without them the run stops with exit 2 saying what to install. A pattern that
matches no file is an error too, never an empty run that passes. Matches are sorted, so a run
reads its files in the same order on every machine.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from typing import Any, BinaryIO

from generator.contract.traffic import STDIN, TrafficError, describe_os_error

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

__all__ = ["expand_sources", "is_url", "open_source", "source_size"]


def is_url(source: str) -> bool:
    return bool(_URL.match(source))


def _has_magic(text: str) -> bool:
    return glob.has_magic(text)


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        from fsspec.core import url_to_fs  # type: ignore[import-untyped]
    except ImportError:
        raise TrafficError(
            url, "reading URLs needs fsspec: pip install 'apicontract[dask]'"
        ) from None
    try:
        fs, path = url_to_fs(url)
    except ImportError as exc:  # fsspec knows the scheme, its backend is not installed
        raise TrafficError(url, f"no filesystem for this URL: {exc}") from None
    except (ValueError, OSError) as exc:
        raise TrafficError(url, f"not a usable URL: {exc}") from None
    return fs, str(path)


def _expand_url(url: str) -> list[str]:
    fs, path = _filesystem(url)
    if not _has_magic(path):
        return [url]
    try:
        found = fs.glob(path)
        matches = sorted(str(p) for p in found if fs.isfile(p))
    except Exception as exc:  # a backend's own errors (credentials, network)
        raise TrafficError(url, f"cannot list: {exc}") from None
    if not matches:
        raise TrafficError(url, "matches no file")
    return [str(fs.unstrip_protocol(p)) for p in matches]


def expand_sources(sources: Sequence[str]) -> list[str]:
    """Every file the TRAFFIC arguments name, in order; `-` (standard input) is kept. A path
    that exists is taken as it is, even when its name has `*`, `?` or `[` in it."""
    expanded: list[str] = []
    for source in sources:
        if source == STDIN:
            expanded.append(source)
        elif is_url(source):
            expanded.extend(_expand_url(source))
        elif _has_magic(source) and not os.path.lexists(source):
            matches = sorted(p for p in glob.glob(source, recursive=True) if os.path.isfile(p))
            if not matches:
                raise TrafficError(source, "matches no file")
            expanded.extend(matches)
        else:
            expanded.append(source)
    return expanded


def open_source(source: str) -> BinaryIO:
    """A local path or a URL opened for reading bytes. Raises TrafficError."""
    if not is_url(source):
        try:
            return open(source, "rb")
        except OSError as exc:
            raise TrafficError(source, describe_os_error(exc)) from None
    fs, path = _filesystem(source)
    try:
        if fs.isdir(path):
            raise TrafficError(source, "is a directory, expected a HAR or JSONL file")
        handle: BinaryIO = fs.open(path, "rb")
    except TrafficError:
        raise
    except OSError as exc:
        raise TrafficError(source, describe_os_error(exc)) from None
    except Exception as exc:  # a backend's own errors (credentials, network)
        raise TrafficError(source, f"cannot open: {exc}") from None
    return handle


def source_size(source: str) -> int:
    """The size in bytes of a local file or a URL. Raises TrafficError."""
    try:
        if not is_url(source):
            return os.stat(source).st_size
        fs, path = _filesystem(source)
        return int(fs.size(path))
    except TrafficError:
        raise
    except OSError as exc:
        raise TrafficError(source, describe_os_error(exc)) from None
    except Exception as exc:
        raise TrafficError(source, f"cannot read its size: {exc}") from None
