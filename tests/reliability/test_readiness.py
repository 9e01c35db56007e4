"""Readiness against real processes: a real worker's heartbeat makes /readyz ready and its
going quiet makes it 503; a database that cannot be reached makes /readyz say so and every
request a fast, clean 503 (JSON for the API), in a process whose database is a closed port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from hiring import heartbeats
from tests.celery_worker import wait_for
from tests.reliability.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.worker
def test_readyz_turns_503_when_the_worker_heartbeat_is_stale(start_worker, client):
    # given a real worker running and beat's heartbeat written
    worker = start_worker()
    heartbeats.record(heartbeats.BEAT)

    # then /readyz becomes ready once the worker's own heartbeat arrives
    wait_for(lambda: client.get("/readyz").status_code == 200, timeout=30)

    # when the worker stops and more than READINESS_HEARTBEAT_SECONDS pass (beat still alive)
    worker.stop()
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        heartbeats.record(heartbeats.BEAT)
        response = client.get("/readyz")

    # then /readyz is 503 and says it is the worker
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["worker"]["ok"] is False
    assert [problem.split(":")[0] for problem in body["problems"]] == ["worker"]
    assert "heartbeat was 30" in body["problems"][0]


PROBE = """
import json, time
import django
django.setup()
from django.test import Client

probe = Client(raise_request_exception=False)  # a load balancer's: no cookie
person = Client(raise_request_exception=False)
person.cookies["sessionid"] = "a-session-that-must-be-looked-up"
answers = []
for client, path, headers in [
    (probe, "/readyz", {}),
    (person, "/readyz", {}),
    (person, "/api/v1/loops/", {"HTTP_AUTHORIZATION": "Bearer lw_looked-up-in-the-database"}),
    (person, "/", {}),
]:
    started = time.monotonic()
    response = client.get(path, **headers)
    answers.append({
        "path": path,
        "status": response.status_code,
        "type": response.get("Content-Type", ""),
        "retry_after": response.get("Retry-After"),
        "body": response.content.decode(),
        "seconds": time.monotonic() - started,
    })
print(json.dumps(answers))
"""


@pytest.fixture(params=["refused", "silent"])
def dead_database(request: pytest.FixtureRequest) -> Iterator[int]:
    """A port where the database would be: nothing listening (the connection is refused at
    once), or a listener that never answers (a hung server, a dropped packet), which only
    DATABASE_CONNECT_TIMEOUT ends."""
    if request.param == "refused":
        yield free_port()
        return
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        yield silent.getsockname()[1]


def test_with_the_database_down_readyz_says_so_and_requests_get_a_clean_503(dead_database):
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://loopwise@127.0.0.1:{dead_database}/loopwise",
        "DATABASE_CONNECT_TIMEOUT": "2",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr[-4000:]
    ready, ready_with_cookie, api, page = json.loads(lines[-1])

    assert ready["status"] == 503
    report = json.loads(ready["body"])
    assert report["checks"]["database"] == {
        "ok": False,
        "problem": "the database cannot be reached",
    }
    assert report["problems"][0] == "database: the database cannot be reached"
    # a probe that sends a session cookie (which cannot be loaded) is told the same, in JSON
    assert (ready_with_cookie["status"], ready_with_cookie["type"]) == (503, "application/json")
    assert json.loads(ready_with_cookie["body"])["problems"] == [
        "database: the database cannot be reached"
    ]

    assert (api["status"], api["type"], api["retry_after"]) == (503, "application/json", "30")
    assert "database cannot be reached" in json.loads(api["body"])["detail"]

    assert (page["status"], page["retry_after"]) == (503, "30")
    assert page["type"].startswith("text/html")
    assert "Loopwise is unavailable" in page["body"]
    assert "Traceback" not in page["body"]
    assert "OperationalError" not in page["body"]

    # and fast: a refused connection is not waited on, a silent one for the connect timeout
    answers = [ready, ready_with_cookie, api, page]
    assert all(answer["seconds"] < 6 for answer in answers), answers
