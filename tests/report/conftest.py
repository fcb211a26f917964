"""Shared by the report tests: the official SARIF 2.1.0 schema with a validator, and a real
headless Chromium for the HTML report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

DATA = Path(__file__).parent / "data"


@cache
def sarif_validator() -> Any:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def assert_valid_sarif(document: dict[str, Any]) -> None:
    errors = sorted(sarif_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


# -- a real Chromium ---------------------------------------------------------------------------
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MISSING_BROWSER = (
    "no Chromium to test the HTML report in: install one (Debian: `apt-get install chromium`; "
    "`python3 dev.py test` does it when it can), or `python -m playwright install chromium`, "
    "or point APICONTRACT_CHROMIUM at a Chromium or Chrome binary"
)


def find_chromium(playwright: Any) -> str:
    """APICONTRACT_CHROMIUM, else a Chromium on PATH, else Playwright's own download. A
    missing browser fails the tests that need it; it never skips them."""
    import os
    import shutil

    configured = os.environ.get("APICONTRACT_CHROMIUM")
    if configured:
        assert Path(configured).is_file(), f"APICONTRACT_CHROMIUM={configured}: no such file"
        return configured
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    bundled = Path(playwright.chromium.executable_path)
    if bundled.is_file():
        return str(bundled)
    pytest.fail(MISSING_BROWSER)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium driven through the DevTools protocol (Playwright), with a fresh
    profile. Module-scoped: Playwright's sync API keeps an event loop running on this thread
    while it is open, which later tests calling asyncio.run() must not find."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = find_chromium(playwright)
        profile = tmp_path_factory.mktemp("chromium-profile")
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
