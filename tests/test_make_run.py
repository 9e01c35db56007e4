"""`make run` as a user runs it: on a port of their choosing, the e-mails the worker sends link
back to that port (issue 15: SITE_URL follows PORT unless it is set). A real `make run` (web,
worker and beat under honcho, SQLite and the filesystem broker) and a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import sqlite3
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.reliability.conftest import free_port
from tests.test_embedded_default import ROOT, Browser

pytestmark = pytest.mark.timeout(400)

LINK = re.compile(r"https?://[^\s\"'<>]+")


class Inbox:
    """Every message the SMTP server accepted, with its text."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def links(self) -> list[str]:
        found: list[str] = []
        for message in self.messages:
            for part in message.walk():
                if part.get_content_maintype() == "text":
                    found += LINK.findall(part.get_content())
        return found


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def wait_for(condition: Any, what: str, log: Path, timeout: float = 240.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} after {timeout} s. make run said:\n{log.read_text()[-4000:]}")
        time.sleep(0.5)
    return value


def demo_calendars(tmp_path: Path) -> list[tuple[int, str]]:
    """(failures, last synced) of every calendar in the demo's SQLite database."""
    with sqlite3.connect(tmp_path / "var" / "loopwise.sqlite3", timeout=10) as database:
        rows = database.execute("SELECT failures, last_synced_at FROM hiring_calendarsource")
        return [(int(failures), str(synced)) for failures, synced in rows]


def test_make_run_on_another_port_sends_links_to_that_port(
    inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    handler, smtp_port = inbox
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "DJANGO_SETTINGS_MODULE",
            "SITE_URL",
        }
    } | {
        "LOOPWISE_VAR_DIR": str(tmp_path / "var"),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
    }
    log = tmp_path / "make-run.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # honcho and its three processes stop together
        )
    try:
        base = f"http://127.0.0.1:{port}"
        browser = Browser(base)

        def up() -> bool:
            try:
                return browser.get("/healthz")[0] == 200
            except OSError:
                return False

        wait_for(up, "make run never answered /healthz", log)
        assert f"Links in e-mails point at {base}." in log.read_text()

        # the recruiter sends the invites of every demo loop from the admin
        browser.login("/admin/login/?next=/admin/", "recruiter")
        _, changelist = browser.get("/admin/hiring/loop/?state=all")
        loops = re.findall(r'name="_selected_action" value="(\d+)"', changelist)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', changelist)
        assert loops
        assert token
        data = urllib.parse.urlencode(
            [("csrfmiddlewaretoken", token.group(1)), ("action", "send_invites"), ("index", "0")]
            + [("_selected_action", pk) for pk in loops]
        ).encode()
        request = urllib.request.Request(
            base + "/admin/hiring/loop/?state=all", data=data, headers={"Referer": base}
        )
        with browser.opener.open(request, timeout=30) as response:
            assert response.status == 200

        links = wait_for(handler.links, "no e-mail with a link arrived", log)
        local = [link for link in links if "127.0.0.1" in link or "localhost" in link]
        assert local
        assert all(urllib.parse.urlsplit(link).port == port for link in local), local

        # the demo interviewers' calendars (issue 17): feeds the web serves on this port, read
        # by the worker when an administrator asks ("Sync now")
        status, feed = browser.get("/static/loopwise/demo-calendars/iris.ics")
        assert status == 200
        assert "BEGIN:VCALENDAR" in feed
        seeded = demo_calendars(tmp_path)
        assert seeded
        assert all(failures == 0 for failures, _ in seeded)
        admin = Browser(base)
        admin.login("/admin/login/?next=/admin/", "admin")
        _, sources = admin.get("/admin/hiring/calendarsource/")
        chosen = re.findall(r'name="_selected_action" value="(\d+)"', sources)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', sources)
        assert len(chosen) == len(seeded)
        assert token
        data = urllib.parse.urlencode(
            [("csrfmiddlewaretoken", token.group(1)), ("action", "sync_now"), ("index", "0")]
            + [("_selected_action", pk) for pk in chosen]
        ).encode()
        request = urllib.request.Request(
            base + "/admin/hiring/calendarsource/", data=data, headers={"Referer": base}
        )
        with admin.opener.open(request, timeout=30) as response:
            assert response.status == 200
        last_seeded = max(synced for _, synced in seeded)
        wait_for(
            lambda: all(
                failures == 0 and synced > last_seeded
                for failures, synced in demo_calendars(tmp_path)
            ),
            "the worker never read the demo calendars again",
            log,
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
