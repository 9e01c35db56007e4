"""Playwright on Debian's Chromium (``playwright install`` cannot download here).

Browser tests drive pytest-django's ``live_server``, so they need a transactional database
(``@pytest.mark.django_db(transaction=True, serialized_rollback=True)``: the rubric loaded by
migration survives the flush). Pages are served with a strict Content-Security-Policy added
on the way, and every violation is collected, so an inline script or style fails the test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

# Playwright's sync API runs an event loop in this thread; the ORM calls in test bodies are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


@pytest.fixture
def chromium(transactional_db, live_server):
    """A headless Chromium, started once the test database is ready: Playwright runs an
    event loop in this thread, and a serialized rollback restored after that would not
    bring the rubric back."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # ORM calls made while Playwright's loop ran may have opened their own connection.
        connections.close_all()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class CspPage:
    """A page whose responses carry ``STRICT_CSP``; ``violations`` lists what it blocked."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.violations: list[str] = []
        page.on("console", self._console)
        page.route(f"{base_url}/**", self._with_csp)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)

    @staticmethod
    def _with_csp(route) -> None:
        from playwright.sync_api import Error

        try:
            response = route.fetch(max_redirects=0)
            headers = {**response.headers, "content-security-policy": STRICT_CSP}
            route.fulfill(response=response, headers=headers)
        except Error:
            # The page gave the request up meanwhile (select2 aborts a search a newer one
            # replaces; a click leaves a page still loading): nobody waits for its answer.
            pass


@pytest.fixture
def csp_page(chromium, live_server) -> Iterator[CspPage]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    wrapped = CspPage(page, live_server.url)
    yield wrapped
    context.close()
