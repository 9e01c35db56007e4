"""Real services for the delivery fault tests: an SMTP server (aiosmtpd) that counts what it
accepted and can stall, refuse or bounce on demand, and helpers that stop and start the
test Redis."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class SmtpSink:
    """An aiosmtpd handler. A message counts as delivered only when the server answers 250:
    that is the moment the sender may rightly consider it sent."""

    accepted: list[dict[str, str]] = field(default_factory=list)
    refuse_data: int = 0  # answer the next n DATA commands with 451 (try again later)
    bounce_rcpt: bool = False  # answer RCPT with 550 (no such user)
    stall_first: bool = False  # hold the first DATA until the client goes away
    stalled: threading.Event = field(default_factory=threading.Event)
    refused: int = 0
    attempts: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.bounce_rcpt:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.stall_first and not self.stalled.is_set():
            self.stalled.set()
            while True:  # cancelled when the client's connection drops (SIGKILL)
                await asyncio.sleep(0.1)
        if self.refuse_data > 0:
            self.refuse_data -= 1
            self.refused += 1
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.accepted.append(
            {
                "message_id": message["Message-ID"],
                "notification": message["X-Loopwise-Notification"] or "",
                "to": ",".join(envelope.rcpt_tos),
                "subject": str(message["Subject"]).strip(),
            }
        )
        return "250 Message accepted for delivery"

    def message_ids(self) -> Counter[str]:
        return Counter(item["message_id"] for item in self.accepted)

    def by_recipient(self, prefix: str = "") -> Counter[str]:
        return Counter(item["to"] for item in self.accepted if item["subject"].startswith(prefix))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpSink, int]]:
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_sink(smtp_server: tuple[SmtpSink, int], settings: Any) -> SmtpSink:
    """The SMTP server, with this process's Django pointed at it."""
    sink, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 5
    return sink


WORKER_LEASE_SECONDS = 60


@pytest.fixture
def worker_env(smtp_server: tuple[SmtpSink, int]) -> dict[str, str]:
    """What a worker process needs to send through the test SMTP server, quickly."""
    _, port = smtp_server
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_TIMEOUT": "30",
        "NOTIFICATION_RETRY_BASE_SECONDS": "1",
        "NOTIFICATION_RETRY_MAX_SECONDS": "4",
        # Long enough that a send slowed by a loaded machine is never taken for a dead
        # worker's; the test that kills a worker expires its lease in the database instead.
        "NOTIFICATION_LEASE_SECONDS": str(WORKER_LEASE_SECONDS),
    }


# --- Redis ---------------------------------------------------------------------------------


class RedisControl:
    """Stops and starts the test Redis that scripts/test.sh started."""

    def __init__(self, port: str, directory: str) -> None:
        self.port, self.directory = port, directory

    def ping(self) -> bool:
        result = subprocess.run(
            ["redis-cli", "-p", self.port, "ping"], capture_output=True, text=True
        )
        return result.stdout.strip() == "PONG"

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", self.port, "shutdown", "nosave"], capture_output=True)
        deadline = time.monotonic() + 10
        while self.ping() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not self.ping(), "Redis did not stop"

    def start(self) -> None:
        if self.ping():
            return
        directory = self.directory
        command = [
            "redis-server", "--port", self.port, "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "yes", "--dir", directory,
            "--pidfile", os.path.join(directory, "redis.pid"),
            "--logfile", os.path.join(directory, "redis.log"),
        ]  # fmt: skip
        subprocess.run(command, check=True)
        deadline = time.monotonic() + 10
        while not self.ping() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert self.ping(), "Redis did not start"


@pytest.fixture
def redis_control() -> Iterator[RedisControl]:
    port = os.environ.get("LOOPWISE_REDIS_PORT")
    services = os.environ.get("LOOPWISE_SERVICES_DIR")
    if not port or not services:
        pytest.skip("needs the Redis started by scripts/test.sh (LOOPWISE_REDIS_PORT)")
    redis = RedisControl(port, os.path.join(services, "redis"))
    try:
        yield redis
    finally:
        redis.start()  # whatever happened, the next test has its broker


# --- Counts for the report -----------------------------------------------------------------

FAULT_COUNTS: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FAULT_COUNTS:
        terminalreporter.section("delivery fault counts (real SMTP server)")
        for line in FAULT_COUNTS:
            terminalreporter.write_line(line)
