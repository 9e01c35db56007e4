"""Real Celery worker processes for tests: started against the real Redis and the test
database, killed with real signals. Reused by the reliability tests.

``python -m tests.celery_worker worker ...`` is the ``celery`` command line for the project's
app with a test's Celery settings on top (``LOOPWISE_TEST_CELERY_CONF``, JSON): a worker
whose broker hands a dead worker's message on after two seconds rather than an hour, say.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CONF_VARIABLE = "LOOPWISE_TEST_CELERY_CONF"
T = TypeVar("T")


def worker_environment() -> dict[str, str]:
    """The environment a worker needs to reach the same PostgreSQL database as the test."""
    db = settings.DATABASES["default"]
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}"
        if db["ENGINE"].endswith("postgresql")
        else ""
    )
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": url,
            "REDIS_URL": settings.CELERY_BROKER_URL,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class WorkerProcess:
    def __init__(
        self,
        log_dir: Path,
        *,
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
        conf: dict[str, Any] | None = None,
    ):
        """``conf``: Celery settings over the project's (lower-case names, as in
        ``app.conf``); ``broker_transport_options`` are merged into the project's."""
        self.name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.log_path = log_dir / f"{self.name}.log"
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.conf = conf or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> WorkerProcess:
        env = worker_environment() | self.extra_env | {CONF_VARIABLE: json.dumps(self.conf)}
        command = [
            sys.executable, "-m", "tests.celery_worker", "worker",
            "--hostname", self.name,
            "--pool", "prefork",
            "--concurrency", str(self.concurrency),
            "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if " ready." in self.log():
                return self
            time.sleep(0.1)
        self.kill()
        raise TimeoutError(f"worker not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group's main process and its pool children."""
        if self.process and self.process.poll() is None:
            children = _children(self.process.pid)
            self.process.send_signal(signal.SIGKILL)
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()


def _children(pid: int) -> list[int]:
    result = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    )
    return [int(line) for line in result.stdout.split()]


def wait_for(predicate: Callable[[], T], timeout: float = 20.0, interval: float = 0.1) -> T:
    """Poll until predicate() is truthy; return its value or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")


def main(argv: list[str]) -> None:
    from config.celery_app import app

    conf = json.loads(os.environ.get(CONF_VARIABLE) or "{}")
    transport = {**app.conf.broker_transport_options, **conf.pop("broker_transport_options", {})}
    app.conf.update(conf, broker_transport_options=transport)
    app.worker_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
