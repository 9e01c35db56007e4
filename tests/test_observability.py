"""Observability: Sentry events without personal data, the /metrics scrape and its
protection, and JSON logs that follow a request into the tasks it queues (issue 19)."""

from __future__ import annotations

import contextlib
import gzip
import io
import ipaddress
import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import brotli
import pytest
import sentry_sdk
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from django.utils import timezone

from config import urls as site_urls
from config.logs import ContextFilter, JsonFormatter
from config.observability import init_sentry
from hiring.models import Candidate, OutboxEvent, User
from scorecards.models import LoopSummary
from tests.celery_worker import wait_for
from tests.factories import CandidateFactory, LoopFactory, UserFactory
from tests.http_server import http_server

logger = logging.getLogger("hiring.candidates")


def candidate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A view failing with a candidate's details in its locals, its request body, its log
    lines and its exception message: everything Sentry must not receive."""
    candidate = Candidate.objects.get(pk=pk)
    evidence = request.POST["evidence"]
    logger.info("looking up %s <%s>", candidate.full_name, candidate.email)
    logger.info(f"inline address {candidate.email} in a message")
    raise ValueError(f"cannot schedule {candidate.full_name} ({candidate.email}): {evidence}")


def queue_view(request: HttpRequest) -> HttpResponse:
    """A request that logs a line and queues a task (the outbox sweep, which a worker logs)."""
    from hiring.tasks import dispatch_outbox

    logger.info("queueing a sweep")
    return HttpResponse(dispatch_outbox.delay().id)


# The site's routes too: its middleware reverses some of them.
urlpatterns = [
    path("candidates/<int:pk>/explode/", candidate_view),
    path("queue/", queue_view),
    *site_urls.urlpatterns,
]


@pytest.fixture
def sentry_receiver() -> Iterator[tuple[list[bytes], threading.Event]]:
    """A loopback Sentry: the envelopes it received, and an event set when one arrived."""
    envelopes: list[bytes] = []
    arrived = threading.Event()

    def handle(request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers["Content-Length"]))
        encoding = request.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        envelopes.append(body)
        request.send_response(200)
        request.end_headers()
        arrived.set()

    with http_server(handle) as url:
        port = url.split(":")[2].split("/")[0]
        init_sentry(f"http://publickey@127.0.0.1:{port}/1")
        try:
            yield envelopes, arrived
        finally:
            sentry_sdk.get_client().close(timeout=2)
            sentry_sdk.init(dsn=None)


@pytest.mark.urls("tests.test_observability")
def test_sentry_receives_the_error_without_the_candidates_data(
    db: None, sentry_receiver: tuple[list[bytes], threading.Event]
) -> None:
    envelopes, arrived = sentry_receiver
    candidate = CandidateFactory(full_name="Zelda Quimby-Fairweather", email="zelda@quimby.example")
    client = Client(raise_request_exception=False)

    response = client.post(
        f"/candidates/{candidate.pk}/explode/?q=zelda@quimby.example",
        {"evidence": "Led the Tromsø migration single-handedly"},
    )

    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    assert arrived.wait(timeout=10), "the loopback Sentry received nothing"
    sent = b"\n".join(envelopes).decode()
    # The event arrived, with what finds the bug.
    assert '"type":"event"' in sent.replace(" ", "")
    assert "ValueError" in sent
    assert "candidate_view" in sent
    # And none of the candidate's data, in any spelling.
    for secret in ("Zelda", "Quimby", "zelda@", "quimby.example", "Tromsø", "Troms\\u00f8"):
        assert secret not in sent, f"{secret!r} reached Sentry"


# --- /metrics -----------------------------------------------------------------------------

METRICS_TOKEN = "scrape-me-7f3a"


def _gauge_value(body: str, name: str) -> float:
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} is not in the scrape:\n{body}")


@pytest.fixture
def metrics_token(settings: Any) -> str:
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    return METRICS_TOKEN


def test_metrics_refuse_anonymous_scrapes_a_wrong_token_and_sessions(
    metrics_token: str, recruiter: User, client: Client
) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    signed_in = client.get("/metrics")
    assert signed_in.status_code == 401
    assert b"loopwise_" not in signed_in.content


def test_metrics_report_outbox_lag_and_stale_summaries_to_the_token(
    db: None, metrics_token: str, client: Client
) -> None:
    now = timezone.now()
    OutboxEvent.objects.create(topic="loop.updated", available_at=now - timedelta(minutes=10))
    OutboxEvent.objects.create(topic="loop.updated", available_at=now - timedelta(minutes=1))
    OutboxEvent.objects.create(topic="loop.updated", available_at=now + timedelta(minutes=5))
    LoopSummary.objects.create(
        loop=LoopFactory(),
        computed_at=now - timedelta(hours=2),
        model_version="an-older-model",
        fingerprint="x" * 64,
        recommendation="hire",
    )

    response = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert _gauge_value(body, "loopwise_outbox_backlog") == 2  # the future one is not due
    assert 600 <= _gauge_value(body, "loopwise_outbox_lag_seconds") < 700
    assert 7200 <= _gauge_value(body, "loopwise_loop_summary_oldest_stale_seconds") < 7300
    assert _gauge_value(body, 'loopwise_notifications{status="failed"}') == 0
    assert _gauge_value(body, "loopwise_webhook_deliveries_failed") == 0
    assert _gauge_value(body, "loopwise_calendar_syncs_failing") == 0


def test_metrics_serve_an_allowed_network_without_a_token(
    db: None, settings: Any, client: Client
) -> None:
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


# --- JSON logs ----------------------------------------------------------------------------


def _json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            parsed = json.loads(line)
            if isinstance(parsed, dict):
                lines.append(parsed)
    return lines


@pytest.mark.urls("tests.test_observability")
def test_a_requests_json_log_line_and_its_tasks_lines_share_its_request_id(
    start_worker: Any, recruiter: User
) -> None:
    worker = start_worker(extra_env={"LOG_FORMAT": "json"})
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logging.getLogger().addHandler(handler)
    client = Client()
    client.force_login(recruiter)
    try:
        response = client.get("/queue/", headers={"X-Request-ID": "req-7c1e9"})
    finally:
        logging.getLogger().removeHandler(handler)

    assert response["X-Request-ID"] == "req-7c1e9"
    (line,) = [x for x in _json_lines(captured.getvalue()) if x["message"] == "queueing a sweep"]
    assert line["request_id"] == "req-7c1e9"
    assert line["user_id"] == recruiter.pk

    task_id = response.content.decode()

    def task_lines() -> list[dict[str, Any]]:
        # The worker's own catch-up sweeps run too: only this task's "succeeded" line.
        return [x for x in _json_lines(worker.log()) if f"[{task_id}] succeeded" in x["message"]]

    (task_line,) = wait_for(task_lines, timeout=30)
    assert task_line["request_id"] == "req-7c1e9"
    assert task_line["task_id"] == task_id


@pytest.mark.urls("tests.test_observability")
def test_a_request_without_an_id_gets_a_fresh_one(db: None, client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz", headers={"X-Request-ID": '<script>"forged" id</script>'})
    assert len(first) == 32
    assert len(second["X-Request-ID"]) == 32
    assert first != second["X-Request-ID"]
