"""``/metrics``: Loopwise's state and the web process's traffic, for Prometheus.

Two kinds of metrics, served together:

- Loopwise's own gauges, computed when scraped: a handful of indexed aggregate queries (the
  outbox, notifications, webhook deliveries, calendar sources, loop summaries, the reminder
  sweep's last run) answered in Prometheus' text format.
- Requests and the database, counted in memory as they happen: django-prometheus's
  middlewares (``django_http_*``: requests, responses by status, latency, each by view name)
  and ``QueryMetricsMiddleware`` below (``django_db_*``: statements, their duration and
  errors, under django-prometheus's own metric names). Counting writes nothing to the
  database, so a GET still writes nothing.

Under gunicorn each worker process counts its own requests. With ``PROMETHEUS_MULTIPROC_DIR``
set (gunicorn.conf.py sets it when it is not), prometheus_client keeps the counts in files
there and the scrape adds up every worker's, the dead ones' included (gunicorn's
``child_exit`` hook retires their live gauges). Without it (runserver, the tests) a scrape
reads the answering process's own registry.

Who may scrape: a request carrying ``Authorization: Bearer <METRICS_TOKEN>`` (compared as
SHA-256 digests in constant time), or one from an address in ``METRICS_ALLOWED_NETWORKS``
(the connection's own address: behind a proxy, give the token instead). With neither set
nobody may: anonymous scrapes get a 401, sessions count for nothing.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.db import errors_total, execute_total, query_duration_seconds
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from hiring.models import CalendarSource, Notification, OutboxEvent, WebhookDelivery
from hiring.models.delivery import Heartbeat
from scorecards.calibration.model import MODEL_VERSION
from scorecards.models import LoopSummary, Scorecard
from scorecards.reminders.sweep import SWEEP_FINISHED, SWEEP_STARTED


def _seconds_since(moment: datetime | None) -> float:
    return 0.0 if moment is None else max((timezone.now() - moment).total_seconds(), 0.0)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class LoopwiseCollector(Collector):
    """Loopwise's own gauges, read from the database at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        due = OutboxEvent.objects.filter(processed_at__isnull=True, available_at__lte=now)
        outbox = due.aggregate(backlog=Count("pk"), oldest=Min("available_at"))
        yield _gauge(
            "loopwise_outbox_lag_seconds",
            "How long the oldest due, unhandled outbox event has waited.",
            _seconds_since(outbox["oldest"]),
        )
        yield _gauge(
            "loopwise_outbox_backlog", "Outbox events due and not yet handled.", outbox["backlog"]
        )

        notifications = GaugeMetricFamily(
            "loopwise_notifications", "E-mail notifications by status.", labels=["status"]
        )
        counts = Notification.objects.filter(
            status__in=[Notification.Status.PENDING, Notification.Status.FAILED]
        ).aggregate(
            pending=Count("pk", filter=Q(status=Notification.Status.PENDING)),
            failed=Count("pk", filter=Q(status=Notification.Status.FAILED)),
        )
        for status in ("pending", "failed"):
            notifications.add_metric([status], counts[status])
        yield notifications

        yield _gauge(
            "loopwise_webhook_deliveries_failed",
            "Webhook deliveries given up after their last attempt.",
            WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED).count(),
        )
        yield _gauge(
            "loopwise_calendar_syncs_failing",
            "Interviewers' calendars whose latest reads failed.",
            CalendarSource.objects.filter(failing_since__isnull=False).count(),
        )

        # Stale without recomputing a fingerprint: a summary of an older model, or one a
        # scorecard was submitted (or revised) after. Recomputing is the refresh's job.
        newer_scorecard = Scorecard.objects.filter(
            interview__loop_id=OuterRef("loop_id"), last_submitted_at__gt=OuterRef("computed_at")
        )
        stale_since = LoopSummary.objects.filter(
            ~Q(model_version=MODEL_VERSION) | Exists(newer_scorecard)
        ).aggregate(oldest=Min("computed_at"))["oldest"]
        yield _gauge(
            "loopwise_loop_summary_oldest_stale_seconds",
            "Age of the oldest loop summary that no longer matches its scorecards or model.",
            _seconds_since(stale_since),
        )
        yield from _reminder_sweep()


def _reminder_sweep() -> Iterator[GaugeMetricFamily]:
    """The last complete reminder sweep: how long it took and how long ago it ended. Before
    any sweep has finished the age is +Inf (an "older than" alert fires) and the duration
    is left out."""
    runs = dict(
        Heartbeat.objects.filter(name__in=[SWEEP_STARTED, SWEEP_FINISHED]).values_list(
            "name", "seen_at"
        )
    )
    started, finished = runs.get(SWEEP_STARTED), runs.get(SWEEP_FINISHED)
    if started is not None and finished is not None:
        yield _gauge(
            "loopwise_reminder_sweep_seconds",
            "How long the last complete reminder sweep took, all its batches.",
            max((finished - started).total_seconds(), 0.0),
        )
    yield _gauge(
        "loopwise_reminder_sweep_age_seconds",
        "Time since the last complete reminder sweep ended (+Inf: none has yet).",
        math.inf if finished is None else _seconds_since(finished),
    )


# --- Requests and the database ---------------------------------------------------------------


@functools.cache
def _statement_metrics(alias: str, vendor: str) -> tuple[Counter, Histogram]:
    """A database's labelled counter and histogram, looked up once rather than per query."""
    return execute_total.labels(alias, vendor), query_duration_seconds.labels(alias, vendor)


def _count_statement(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """An execute wrapper counting as django-prometheus's database backends do."""
    db = context["connection"]
    executed, duration = _statement_metrics(db.alias, db.vendor)
    executed.inc(len(params) if many and isinstance(params, Sized) else 1)
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    except Exception as exc:
        errors_total.labels(db.alias, db.vendor, type(exc).__name__).inc()
        raise
    finally:
        duration.observe(time.perf_counter() - started)


class QueryMetricsMiddleware:
    """Counts a request's database statements and their duration (``django_db_*``).

    Django's documented instrumentation hook (``connection.execute_wrapper``) rather than
    django-prometheus's ``ENGINE`` wrappers: those would rename the database engine that the
    settings, the test settings and the worker's environment recognise, for the same counts.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with connection.execute_wrapper(_count_statement):
            return self.get_response(request)


class _ProcessRegistry(Collector):
    """This process's registry (django-prometheus's metrics, the process' own) in a scrape."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape_registry() -> CollectorRegistry:
    """What one scrape serves: Loopwise's gauges, and every worker's request and database
    counts (``PROMETHEUS_MULTIPROC_DIR``) or, without it, this process's."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LoopwiseCollector())
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ProcessRegistry())
    return registry


def _token_ok(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(
        hashlib.sha256(given.strip().encode()).digest(), hashlib.sha256(expected.encode()).digest()
    )


def _network_ok(request: HttpRequest) -> bool:
    networks = settings.METRICS_ALLOWED_NETWORKS
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in networks)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not (_token_ok(request) or _network_ok(request)):
        response = HttpResponse("Give the metrics token.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
