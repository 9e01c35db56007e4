"""A real CalDAV server for the tests: Radicale (from PyPI), started on a free loopback port
with its storage in a temporary folder and one user in a plain htpasswd file, and stopped
afterwards. Calendars and events are made through the ``caldav`` client, as a person's
calendar app would."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

USERNAME = "iris"
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Radicale:
    base_url: str  # http://127.0.0.1:<port>/
    username: str
    password: str

    def calendar_url(self, name: str) -> str:
        return f"{self.base_url}{self.username}/{name}/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], within: float) -> None:
    """Poll until Radicale answers HTTP at all (401 is an answer: it wants a password)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Radicale exited with {process.returncode}: see radicale.log")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)  # polling interval, not a wait for an outcome
    raise TimeoutError(f"Radicale did not answer on {url} within {within} s")


@contextlib.contextmanager
def radicale_server(folder: Path) -> Iterator[Radicale]:
    port = free_port()
    (folder / "users").write_text(f"{USERNAME}:{PASSWORD}\n")
    (folder / "collections").mkdir()
    config = folder / "radicale.conf"
    config.write_text(
        "\n".join(
            [
                "[server]",
                f"hosts = 127.0.0.1:{port}",
                "[auth]",
                "type = htpasswd",
                f"htpasswd_filename = {folder / 'users'}",
                "htpasswd_encryption = plain",
                "delay = 0.01",
                "[rights]",
                "type = owner_only",
                "[storage]",
                f"filesystem_folder = {folder / 'collections'}",
                "[web]",
                "type = none",
                "[logging]",
                "level = warning",
                "",
            ]
        )
    )
    log = (folder / "radicale.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_answering(base_url, process, within=30)
        yield Radicale(base_url=base_url, username=USERNAME, password=PASSWORD)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
