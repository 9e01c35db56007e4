"""The embedded default of `make run`: SQLite, the filesystem broker, no server needed.
Runs the real commands in subprocesses with none of the test services' variables."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TypeVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_DIMENSIONS = [
    "Product strategy",
    "Portfolio prioritization",
    "Execution & operating model",
    "Metrics & analytics",
    "Customer & market",
    "Cross-functional leadership",
    "Commercial acumen",
    "People leadership",
    "Communication",
    "Values & judgment",
]
SEED_CASES = [
    "Portfolio strategy case",
    "Roadmap triage simulation",
    "Metrics and funnel deep-dive",
    "Leadership scenario",
]


T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    var = tmp_path_factory.mktemp("var")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {"LOOPWISE_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    return env


def until(
    ready: Callable[[], T | None],
    process: subprocess.Popen[bytes],
    output: IO[bytes],
    what: str,
    timeout: float = 60.0,
) -> T:
    """Poll ``ready()`` until it returns something; fail at once with the process's output
    if the process exits, or after ``timeout`` seconds (generous: a loaded machine)."""
    deadline = time.monotonic() + timeout
    while (value := ready()) is None:
        if process.poll() is not None:
            failure = f"exited with {process.returncode}"
        elif time.monotonic() > deadline:
            failure = f"not done after {timeout} s"
        else:
            time.sleep(0.2)
            continue
        output.seek(0)
        log = output.read().decode(errors="replace")
        pytest.fail(f"{what}: {failure}. Its output:\n{log}", pytrace=False)
    return value


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_dumpdata_holds_the_seed_rubric_once(embedded):
    objects = json.loads(manage(embedded, "dumpdata", "hiring"))
    names = Counter(o["fields"]["name"] for o in objects if o["model"] == "hiring.dimension")
    titles = Counter(o["fields"]["title"] for o in objects if o["model"] == "hiring.caseexercise")
    assert {name: names[name] for name in SEED_DIMENSIONS} == dict.fromkeys(SEED_DIMENSIONS, 1)
    assert {title: titles[title] for title in SEED_CASES} == dict.fromkeys(SEED_CASES, 1)


def test_seeding_twice_changes_nothing(embedded):
    before = manage(embedded, "dumpdata", "hiring.candidate", "hiring.loop", "scorecards")
    assert "already present" in manage(embedded, "seed_demo")
    assert manage(embedded, "dumpdata", "hiring.candidate", "hiring.loop", "scorecards") == before


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, path: str, username: str) -> str:
        _, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        data = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": username,
                "password": "loopwise-demo",
            }
        ).encode()
        request = urllib.request.Request(
            self.base + path, data=data, headers={"Referer": self.base}
        )
        with self.opener.open(request, timeout=10) as response:
            return response.read().decode()


@pytest.fixture(scope="module")
def server(embedded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("runserver") / "output.log").open("w+b")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=embedded,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool | None:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                return response.status == 200 or None
        except (urllib.error.URLError, ConnectionError):
            return None

    try:
        until(healthy, process, log, "runserver never answered /healthz with 200")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_healthz_is_ok_on_sqlite_and_the_filesystem_broker(server):
    status, body = Browser(server).get("/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}
    # readiness reaches both (no worker or beat runs beside this server)
    _, body = Browser(server).get("/readyz")
    checks = json.loads(body)["checks"]
    assert (checks["database"]["ok"], checks["broker"]["ok"]) == (True, True)


def test_an_interviewer_signs_in_and_sees_owed_scorecards(server):
    browser = Browser(server)
    browser.login("/login/", "iris")
    status, page = browser.get("/interviews/")
    assert status == 200
    assert "Scorecards you owe" in page
    assert "Bruno Costa" in page  # iris owes the executive conversation with Bruno


def test_the_recruiter_sees_the_loops_in_the_admin(server):
    browser = Browser(server)
    browser.login("/admin/login/?next=/admin/", "recruiter")
    status, page = browser.get("/admin/hiring/loop/")
    assert status == 200
    for name in ["Amara Diallo", "Bruno Costa", "Elif Kaya"]:
        assert name in page


def loop_status(embedded: dict[str, str], candidate: str) -> str:
    """One read-only query on the embedded database, from this process."""
    path = Path(embedded["LOOPWISE_VAR_DIR"]) / "loopwise.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        (status,) = db.execute(
            "SELECT loop.status FROM hiring_loop AS loop JOIN hiring_candidate AS candidate"
            " ON candidate.id = loop.candidate_id WHERE candidate.full_name = ?",
            [candidate],
        ).fetchone()
    return str(status)


def test_a_worker_on_the_filesystem_broker_runs_tasks(embedded, tmp_path):
    log = (tmp_path / "worker.log").open("w+b")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"],
        cwd=ROOT,
        env=embedded,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        script = (
            "from hiring.models import Loop;"
            "loop = Loop.objects.get(candidate__full_name='Elif Kaya');"
            "Loop.objects.filter(pk=loop.pk).update(status='awaiting_feedback');"
            "from scorecards.tasks import refresh_loop_status;"
            "refresh_loop_status.delay(loop.pk)"
        )
        manage(embedded, "shell", "-c", script)
        assert loop_status(embedded, "Elif Kaya") == "awaiting_feedback"
        until(
            lambda: loop_status(embedded, "Elif Kaya") == "scheduling" or None,
            worker,
            log,
            "the worker never moved Elif Kaya's loop back to scheduling",
        )
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        log.close()


def test_the_demo_shows_retention_and_erasure_on_sqlite(embedded):
    # the retention sweep ran on SQLite: the long-decided candidate is anonymised, and the
    # candidate who asked is erased; nothing of either is left in the candidate table
    script = (
        "from hiring.models import Candidate;"
        "print(sorted(Candidate.objects.filter(anonymised_at__isnull=False)"
        ".values_list('full_name', flat=True)));"
        "print(Candidate.objects.filter(full_name__icontains='Gustav').exists(),"
        " Candidate.objects.filter(email__icontains='farid').exists())"
    )
    anonymised, leftovers = manage(embedded, "shell", "-c", script).strip().splitlines()[-2:]
    assert "Anonymised candidate #" in anonymised
    assert "Erased candidate #" in anonymised
    assert leftovers == "False False"


def test_the_hiring_manager_on_a_panel_waits_for_their_own_scorecard(server):
    browser = Browser(server)
    browser.login("/login/", "manager")
    status, page = browser.get("/manager/")
    assert status == 200
    total = re.search(r"Loops 1\u201350 of (\d+)", page)
    assert total  # more than a page: the demo's sourced candidates
    assert int(total.group(1)) > 50
    status, page = browser.get("/manager/?sort=-calibrated")
    assert status == 200
    assert "Amara Diallo" in page  # scored loops first
    status, page = browser.get("/manager/?stage=awaiting_feedback")
    assert "Hidden until your scorecard is in" in page  # Bruno Costa: the manager owes one


def test_every_demo_candidate_is_in_the_audit_trail_from_its_creation(embedded):
    # seed_demo writes candidates like every other writer: audited (issue 12)
    script = (
        "from django.db.models import Exists, OuterRef;"
        "from hiring.models import AuditEvent, Candidate;"
        "created = AuditEvent.objects.filter(candidate=OuterRef('pk'), action='candidate.created');"
        "print(Candidate.objects.count(), Candidate.objects.filter(Exists(created)).count())"
    )
    total, audited = manage(embedded, "shell", "-c", script).strip().splitlines()[-1].split()
    assert int(total) >= 7
    assert audited == total
