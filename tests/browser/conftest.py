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
from typing import Any

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


@pytest.fixture(scope="package")
def chromium_process(django_db_setup: None) -> Iterator[Any]:
    """One headless Chromium for the browser tests, which run one after another (each opens
    contexts of its own): launching it took a second or more a test. Closed when they are
    done, so Playwright's event loop is gone before any other test runs.

    While that loop runs, Django's ``connections`` (context-local) hands each test a new
    connection object, without the migrated rows that the test database's own kept for
    serialized rollbacks: they are given to every connection object of its class, so each
    test's serialized rollback still brings the rubric back."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    kept = [
        (type(connections[alias]), connections[alias]._test_serialized_contents)
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    ]
    with pytest.MonkeyPatch.context() as patch:
        for wrapper, contents in kept:
            patch.setattr(wrapper, "_test_serialized_contents", contents, raising=False)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def chromium(chromium_process, transactional_db, live_server):
    yield chromium_process
    # ORM calls made while Playwright's loop ran may have opened their own connection.
    connections.close_all()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class CspPage:
    """A page that records what the server's own Content-Security-Policy blocked
    (``violations``), and, as a violation too, any page the server sent without one: the
    admin's pages are under the same policy as the rest of the product."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.violations: list[str] = []
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message) -> None:
        if "Content Security Policy" not in message.text:
            return
        if not message.location.get("url"):
            # Blocked for code the test itself evaluated (axe-core styles the nodes it
            # measures), not for anything the page or its script files did.
            return
        self.violations.append(f"{self.page.url}: {message.text} {message.location}")

    def _response(self, response) -> None:
        if response.request.resource_type != "document" or not response.url.startswith(
            self.base_url
        ):
            return
        policy = response.headers.get("content-security-policy", "")
        directives = {}
        for part in policy.split(";"):
            name, _, value = part.strip().partition(" ")
            directives[name] = value
        if directives.get("script-src") != "'self'" or directives.get("object-src") != "'none'":
            self.violations.append(f"{response.url} was served without the strict policy")


@pytest.fixture
def csp_page(chromium, live_server) -> Iterator[CspPage]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    wrapped = CspPage(page, live_server.url)
    yield wrapped
    context.close()
