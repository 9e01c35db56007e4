"""/metrics beyond Loopwise's own gauges (issue 19): the requests each view served and the
database statements they ran, counted in memory and added up across gunicorn's worker
processes, and the reminder sweep's last run."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from config.metrics import QueryMetricsMiddleware
from hiring.models import Notification, OutboxEvent, User
from hiring.models.delivery import Heartbeat
from scorecards.reminders import sweep
from scorecards.tasks import schedule_reminders
from tests.celery_worker import wait_for, worker_environment
from tests.factories import InterviewFactory, LoopFactory, UserFactory
from tests.reliability.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "scrape-me-2b9d"
REQUESTS = "django_http_requests_total_by_view_transport_method_total"
RESPONSES = "django_http_responses_total_by_status_view_method_total"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when the scrape has no such series yet (a counter not yet used)."""
    return scraped.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scrape(settings: Any) -> Any:
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    scraper = Client()

    def run() -> Samples:
        response = scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        return samples(response.content.decode())

    return run


@pytest.mark.sqlite
def test_a_scrape_counts_each_views_requests_and_their_database_statements(
    scrape: Any, recruiter: User
) -> None:
    db = {"alias": "default", "vendor": connection.vendor}
    before = scrape()
    client = Client()
    client.force_login(recruiter)

    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)

    after = scrape()
    home = {"view": "home", "transport": "http", "method": "GET"}
    assert value(after, REQUESTS, **home) - value(before, REQUESTS, **home) == 2
    home_ok = {"view": "home", "status": "200", "method": "GET"}
    assert value(after, RESPONSES, **home_ok) - value(before, RESPONSES, **home_ok) == 2
    ready = {"view": "readyz", "transport": "http", "method": "GET"}
    assert value(after, REQUESTS, **ready) - value(before, REQUESTS, **ready) == 1
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert (
        value(after, latency, view="home", method="GET")
        - value(before, latency, view="home", method="GET")
        == 2
    )
    # The pages' statements (the session, the user, the home page's own, readiness's) were
    # counted and timed; the first scrape's too.
    executed = value(after, "django_db_execute_total", **db) - value(
        before, "django_db_execute_total", **db
    )
    assert executed >= 6
    timed = value(after, "django_db_query_duration_seconds_count", **db) - value(
        before, "django_db_query_duration_seconds_count", **db
    )
    assert timed == executed


@pytest.mark.sqlite
def test_a_failing_statement_is_counted_as_an_error_by_type(scrape: Any, db: None) -> None:
    # sqlite3 calls a missing column an OperationalError, PostgreSQL a ProgrammingError.
    error = "OperationalError" if connection.vendor == "sqlite" else "ProgrammingError"
    labels = {"alias": "default", "vendor": connection.vendor, "type": error}
    before = value(scrape(), "django_db_errors_total", **labels)

    def broken_view(request: HttpRequest) -> HttpResponse:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM hiring_heartbeat")
        return HttpResponse("answered")

    QueryMetricsMiddleware(broken_view)(RequestFactory().get("/"))

    assert value(scrape(), "django_db_errors_total", **labels) - before == 1


def test_an_anonymous_scrape_is_refused_and_django_prometheus_adds_no_url_of_its_own(
    scrape: Any, client: Client, db: None
) -> None:
    client.get("/healthz")  # something counted, which an anonymous scrape must not see
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert b"django_http" not in refused.content
    assert b"django_db" not in refused.content
    assert client.get("/metrics/").status_code == 404  # django-prometheus's own address

    def views(patterns: list[Any]) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield getattr(pattern.callback, "__module__", "")

    assert [m for m in views(get_resolver().url_patterns) if "prometheus" in m] == []


def test_counting_writes_nothing_and_a_scrapes_queries_do_not_grow_with_the_data(
    scrape: Any, recruiter: User
) -> None:
    client = Client()
    client.force_login(recruiter)
    client.get("/")
    with CaptureQueriesContext(connection) as page:
        client.get("/readyz")
    assert page.captured_queries
    writes = ("INSERT", "UPDATE", "DELETE")
    assert [q["sql"] for q in page.captured_queries if q["sql"].lstrip().startswith(writes)] == []

    with CaptureQueriesContext(connection) as small:
        scrape()
    now = timezone.now()
    OutboxEvent.objects.bulk_create(
        [OutboxEvent(topic="loop.updated", available_at=now) for _ in range(30)]
    )
    sweep._record_sweep(now - timedelta(seconds=3), now)
    for loop in LoopFactory.create_batch(3):
        InterviewFactory(loop=loop, interviewers=[UserFactory()])
    with CaptureQueriesContext(connection) as large:
        scrape()
    assert len(large.captured_queries) == len(small.captured_queries)
    scrape_sql = [q["sql"] for q in large.captured_queries]
    assert [sql for sql in scrape_sql if sql.lstrip().startswith(writes)] == []


# --- The reminder sweep ----------------------------------------------------------------------


def test_the_sweep_gauges_say_nothing_ran_then_how_long_the_last_batched_sweep_took(
    scrape: Any, world: Any
) -> None:
    nothing_yet = scrape()
    assert value(nothing_yet, "loopwise_reminder_sweep_age_seconds") == math.inf
    assert ("loopwise_reminder_sweep_seconds", frozenset()) not in nothing_yet

    start = datetime(2025, 3, 10, 8, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        for person in UserFactory.create_batch(4):
            InterviewFactory(
                loop=world.loop,
                interviewers=[person],
                starts_at=start - timedelta(hours=3),
                ends_at=start - timedelta(hours=2),
            )
        first = sweep.schedule_due_reminders(limit=2)
        assert first.next_after is not None
        assert not Heartbeat.objects.filter(name=sweep.SWEEP_FINISHED).exists()
        clock.shift(timedelta(seconds=7))
        # the rest, as the task re-queued with the first batch's start runs it (one batch)
        schedule_reminders.run(after_id=first.next_after, started_at=first.started_at.isoformat())
        clock.shift(timedelta(seconds=50))
        scraped = scrape()

    assert Notification.objects.exists()
    assert value(scraped, "loopwise_reminder_sweep_seconds") == 7
    assert value(scraped, "loopwise_reminder_sweep_age_seconds") == 50


@pytest.mark.worker
def test_the_sweep_duration_appears_after_a_worker_ran_the_sweep(
    start_worker: Any, settings: Any
) -> None:
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    start_worker()
    scraper = Client()

    def scraped() -> Samples:
        body = scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        return samples(body.content.decode())

    assert value(scraped(), "loopwise_reminder_sweep_age_seconds") == math.inf
    schedule_reminders.delay()

    def swept() -> Samples | None:
        now = scraped()
        return now if ("loopwise_reminder_sweep_seconds", frozenset()) in now else None

    done = wait_for(swept, timeout=30)
    assert 0 <= value(done, "loopwise_reminder_sweep_seconds") < 30
    assert 0 <= value(done, "loopwise_reminder_sweep_age_seconds") < 30


# --- Several gunicorn workers --------------------------------------------------------------


@pytest.fixture
def gunicorn(db: None, tmp_path: Path) -> Iterator[tuple[int, Path, Path]]:
    """Two gunicorn workers on a loopback port, with the repository's gunicorn.conf.py:
    (port, their metrics directory, their log)."""
    port = free_port()
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"a previous server's counts")  # to be wiped
    log = tmp_path / "gunicorn.log"
    env = worker_environment() | {
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
    }
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60",
        "--no-control-socket",  # gunicorn 25.1+ puts one in ~/.gunicorn for everyone
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_for(lambda: log.read_text().count("Booting worker with pid") == 2, timeout=30)
        yield port, directory, log
    finally:
        process.terminate()
        process.wait(timeout=20)


GUNICORN_CONF = """
import json, os, runpy, sys
settings = runpy.run_path("gunicorn.conf.py")
settings["on_starting"](None)
directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
files = sorted(os.listdir(directory))
settings["on_exit"](None)
print(json.dumps([directory, files, os.path.isdir(directory)]))
"""


def test_gunicorn_makes_its_metrics_directory_when_none_is_given_and_clears_a_given_one(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    run = [sys.executable, "-c", GUNICORN_CONF]
    made = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    directory, files, left_behind = json.loads(made.stdout)
    assert directory.startswith(tempfile.gettempdir())
    assert files == []
    assert not left_behind  # removed when the server exits

    # a directory given keeps its other files; a previous server's counts go
    given = tmp_path / "given"
    given.mkdir()
    (given / "gauge_livesum_7.db").write_bytes(b"old")
    (given / "README").write_text("not ours")
    env["PROMETHEUS_MULTIPROC_DIR"] = str(given)
    kept = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert json.loads(kept.stdout) == [str(given), ["README"], True]


def _get(port: int, path: str, token: str | None = None) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.read().decode()


def _accept_queue(port: int) -> int:
    """Connections waiting for a worker to accept them on the listening socket (Linux shows
    a listening socket's accept backlog as its rx_queue in /proc/net/tcp)."""
    local = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == "0A":  # 0A: LISTEN
            return int(fields[4].split(":")[1], 16)
    raise AssertionError(f"nothing listens on port {port}")


def _healthz_by_process(directory: Path) -> dict[str, float]:
    """Each worker's own count of /healthz requests, read from its file alone."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        merged = samples_of(MultiProcessCollector.merge([str(path)], accumulate=True))
        counts[path.stem] = value(merged, REQUESTS, view="healthz", transport="http", method="GET")
    return {pid: count for pid, count in counts.items() if count}


def samples_of(families: Any) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }


def test_a_scrape_adds_up_the_requests_of_every_gunicorn_worker(
    gunicorn: tuple[int, Path, Path],
) -> None:
    port, directory, log = gunicorn
    assert not (directory / "counter_1.db").exists()  # the previous server's counts went
    # One worker takes a request whose headers have not finished arriving and waits for
    # them, so the requests sent meanwhile are all the other worker's.
    held = socket.create_connection(("127.0.0.1", port), timeout=20)
    held.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    wait_for(lambda: _accept_queue(port) == 0, timeout=60)  # a worker loaded and took it
    for _ in range(3):
        assert _get(port, "/healthz")
    held.sendall(b"Connection: close\r\n\r\n")
    assert held.recv(4096).startswith(b"HTTP/1.1 200")
    held.close()

    by_process = _healthz_by_process(directory)
    assert len(by_process) == 2, by_process  # both workers served some
    assert sum(by_process.values()) == 4
    scraped = samples(_get(port, "/metrics", token=TOKEN))
    assert value(scraped, REQUESTS, view="healthz", transport="http", method="GET") == 4
    assert value(scraped, "loopwise_outbox_backlog") == 0  # and Loopwise's own beside them
    assert "Traceback" not in log.read_text()
