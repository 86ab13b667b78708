"""A real browser for the tests: Debian's Chromium driven by Playwright, never a downloaded one.

:func:`launch_or_explain` starts it, or explains loudly what to install: under ``CI=true`` a missing
browser FAILS the tests (they must run in CI), elsewhere they are skipped with the same message.
:class:`Watched` opens a page from ``file://`` and records every request other than the page itself
(each one is aborted) and every console error or uncaught page error.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from conftest import not_run

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_INSTALL = (
    "the explorer's browser tests need Chromium and Playwright: `apt-get install -y chromium` (Debian's "
    "package, at /usr/bin/chromium; or set CHAINRULE_CHROMIUM to another Chromium binary) and "
    "`pip install playwright` (never `playwright install`: the system browser is used)"
)


def _missing(reason: str) -> NoReturn:
    # CI must run them: a silent skip there would hide a broken page
    not_run(f"BROWSER TESTS NOT RUN: {reason}. {HOW_TO_INSTALL}")


@contextmanager
def launch_or_explain() -> Iterator[Any]:
    """A headless Chromium browser (Playwright ``Browser``) for the duration of the block."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        _missing(f"Playwright is not importable ({err})")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as err:  # a broken install: same message, with what went wrong
            _missing(f"Chromium at {CHROMIUM} did not start ({type(err).__name__}: {err})")
        try:
            yield browser
        finally:
            browser.close()


class Watched:
    """A page opened from a file, with every request beyond the page and every error recorded."""

    def __init__(self, browser: Any, path: Path, width: int = 1440, height: int = 900) -> None:
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.route("**/*", self._route)
        self.page.on("request", self._request)
        self.page.on(
            "console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def _request(self, request: Any) -> None:
        if request.url != self.url:
            self.requests.append(request.url)

    def _route(self, route: Any) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def open(self, ready: str = "body[data-ready='1']") -> float:
        """Load the page and wait for its script to have drawn; returns the seconds that took."""
        start = time.perf_counter()
        self.page.goto(self.url)
        try:
            self.page.wait_for_selector(ready, state="attached", timeout=15_000)
        except Exception as err:  # say what the page said, not only that it timed out
            raise AssertionError(f"the page never got ready ({err}); its errors: {self.errors}") from None
        return time.perf_counter() - start

    def close(self) -> None:
        self.page.close()
