"""``/metrics``: Loopwise's state for Prometheus, computed when it is scraped.

Nothing is counted on the requests themselves, so the endpoint costs the rest of the site
nothing: each scrape runs a handful of indexed aggregate queries (the outbox, notifications,
webhook deliveries, calendar sources, loop summaries) and answers in Prometheus' text format.

Who may scrape: a request carrying ``Authorization: Bearer <METRICS_TOKEN>`` (compared as
SHA-256 digests in constant time), or one from an address in ``METRICS_ALLOWED_NETWORKS``
(the connection's own address: behind a proxy, give the token instead). With neither set
nobody may: anonymous scrapes get a 401, sessions count for nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hiring.models import CalendarSource, Notification, OutboxEvent, WebhookDelivery
from scorecards.calibration.model import MODEL_VERSION
from scorecards.models import LoopSummary, Scorecard


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
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LoopwiseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
