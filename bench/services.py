"""Throwaway PostgreSQL and Redis for a benchmark, on ports of its own (scripts/services.sh)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(action: str, directory: str, pg_port: str, redis_port: str) -> dict[str, str]:
    env = os.environ | {"LOOPWISE_PG_PORT": pg_port, "LOOPWISE_REDIS_PORT": redis_port}
    result = subprocess.run(
        ["bash", "scripts/services.sh", action, directory],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(
        line[len("export ") :].split("=", 1)
        for line in result.stdout.splitlines()
        if line.startswith("export ")
    )


@contextmanager
def running(pg_port: str, redis_port: str, prefix: str) -> Iterator[None]:
    """Start both, export their URLs and the test settings into os.environ, stop at exit."""
    directory = tempfile.mkdtemp(prefix=prefix)
    try:
        os.environ.update(_run("start", directory, pg_port, redis_port))
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        yield
    finally:
        _run("stop", directory, pg_port, redis_port)
