"""Two installations (two fresh databases: PostgreSQL and SQLite) driven through the same
loop emit disjoint ids: a receiver that de-duplicates webhooks on ``Loopwise-Delivery`` or
mail on Message-ID, or a calendar that merges events by UID, never confuses one
installation's with another's (issue 19). Before, these ids were derived from row ids, which
every fresh database numbers from 1 alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
FLOW = "tests/reliability/installation_flow.py"


class Installation:
    """One installation's flow (tests/reliability/installation_flow.py) in a pytest process of
    its own, started at once: the two run side by side, each on its own database."""

    def __init__(self, database_url: str, tmp_path: Path, name: str) -> None:
        self.out = tmp_path / f"{name}.json"
        self.log = tmp_path / f"{name}.log"
        env = os.environ | {
            "DATABASE_URL": database_url,
            "REDIS_URL": "",  # the work is driven in-process: no broker needed
            "LOOPWISE_VAR_DIR": str(tmp_path / name),
            "LOOPWISE_IDS_OUT": str(self.out),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "--create-db", FLOW],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def ids(self) -> dict[str, list[str]]:
        """Wait for the flow to pass, then the ids it emitted."""
        try:
            returncode = self.process.wait(timeout=600)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        assert returncode == 0, self.log.read_text(errors="replace")[-8000:]
        ids: dict[str, list[str]] = json.loads(self.out.read_text())
        return ids

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.mark.timeout(900)
def test_two_installations_emit_disjoint_delivery_event_calendar_and_message_ids(tmp_path):
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        pytest.skip("the first installation is on the test services' PostgreSQL")
    # a fresh PostgreSQL database of its own (pytest-django creates test_loopwise_two) ...
    postgres = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/loopwise_two"
    )
    # ... and a fresh SQLite file, what `make run` uses
    installations = [
        Installation(postgres, tmp_path, "postgres"),
        Installation(f"sqlite:///{tmp_path / 'second.sqlite3'}", tmp_path, "sqlite"),
    ]
    try:
        first, second = (installation.ids() for installation in installations)
    finally:
        for installation in installations:
            installation.stop()

    for kind in ("delivery ids", "event ids", "calendar UIDs", "Message-IDs"):
        # each installation sent some, as many as the other (the same flow) ...
        assert first[kind], kind
        assert len(first[kind]) == len(second[kind]), kind
        # ... and none of them is also the other's
        assert set(first[kind]) & set(second[kind]) == set(), kind
    print(
        "ids per installation: "
        + ", ".join(f"{kind} {len(first[kind])}" for kind in first)
        + "; shared: 0"
    )
