"""Webhooks: signed bodies, one delivery per event and subscription, https only where asked,
and an admin only superusers can open. Deliveries go to a real HTTP server on loopback."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hiring.decisions import decision_record
from hiring.delivery import outbox, webhooks
from hiring.delivery.webhooks_admin import WebhookSubscriptionForm
from hiring.models import (
    Notification,
    OutboxEvent,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from hiring.models.delivery import WEBHOOK_EVENTS
from hiring.roles import RECRUITERS_GROUP
from scorecards import services
from tests.factories import UserFactory
from tests.http_server import http_server
from tests.scorecards.test_services import full_content

pytestmark = pytest.mark.django_db

ALL_EVENTS = [name for name, _ in WEBHOOK_EVENTS]


# --- A real receiver -----------------------------------------------------------------------


def valid_signature(secret: str, headers: Any, body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does, written from the README rather than with hiring.webhooks."""
    timestamp = headers.get("Loopwise-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(headers.get("Loopwise-Signature", ""), "v1=" + digest.hexdigest())


@dataclass
class Receiver:
    """An HTTP endpoint on 127.0.0.1 that checks every signature with the subscription's
    secret. ``script`` answers the first requests (500, 302...), then 200; with
    ``stall_first`` the first request is held until the sender goes away."""

    url: str = ""
    secret: str = ""
    script: list[int] = field(default_factory=list)
    stall_first: bool = False
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[dict[str, Any]] = field(default_factory=list)  # every request seen
    accepted: list[dict[str, Any]] = field(default_factory=list)  # answered 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        seen = {
            "delivery": request.headers.get("Loopwise-Delivery"),
            "event": request.headers.get("Loopwise-Event"),
            "valid": valid_signature(self.secret, request.headers, body),
            "headers": dict(request.headers),
            "body": json.loads(body) if body else None,
        }
        with self.lock:
            self.requests.append(seen)
            stall = self.stall_first and not self.stalled.is_set()
            status = self.script.pop(0) if self.script and not stall else 200
        if stall:
            self.stalled.set()
            self.release.wait(60)  # the sender is killed meanwhile: nobody reads an answer
            return
        if not seen["valid"]:
            status = 401
        if status == 200:
            with self.lock:
                self.accepted.append(seen)
        request.send_response(status)
        if 300 <= status < 400:
            request.send_header("Location", self.url + "elsewhere")
        request.send_header("Content-Type", "text/plain")
        request.end_headers()
        request.wfile.write(b"ok" if status == 200 else f"no: {status}".encode())

    def deliveries(self) -> list[str]:
        return [item["delivery"] for item in self.accepted]


@contextlib.contextmanager
def serve(**options: Any) -> Iterator[Receiver]:
    receiver = Receiver(**options)
    try:
        with http_server(receiver.handle) as url:
            receiver.url = url
            yield receiver
    finally:
        receiver.release.set()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve() as running:
        yield running


def subscribe(
    receiver: Receiver, events: list[str] | None = None, **fields: Any
) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.create(
        name=fields.pop("name", "ATS"),
        url=fields.pop("url", receiver.url),
        events=ALL_EVENTS if events is None else events,
        **fields,
    )
    receiver.secret = subscription.secret
    return subscription


def dispatch_all() -> None:
    while outbox.dispatch():
        pass


def submit(interview: Any, interviewer: Any, **overrides: Any) -> Any:
    scorecard = services.scorecard_get_or_create(interview=interview, interviewer=interviewer)
    return services.scorecard_submit(
        scorecard=scorecard, by=interviewer, content=full_content(interview, **overrides)
    )


# --- Signing -------------------------------------------------------------------------------


def test_a_signature_verifies_and_any_change_breaks_it():
    body = '{"id":"1","type":"ping"}'
    now = int(time.time())
    header = webhooks.sign("whsec_one", now, body)

    assert header.startswith("v1=")
    assert webhooks.verify("whsec_one", header, now, body)
    assert webhooks.verify("whsec_one", f"v1=old, {header}", now, body.encode())  # rotation
    assert not webhooks.verify("whsec_one", header, now, body.replace("ping", "pong"))
    assert not webhooks.verify("whsec_one", header, now + 1, body)  # another timestamp
    assert not webhooks.verify("whsec_two", header, now, body)  # another secret
    assert not webhooks.verify("whsec_one", header.upper(), now, body)
    assert not webhooks.verify("whsec_one", header, "soon", body)
    # a correct signature replayed ten minutes later is refused
    assert not webhooks.verify("whsec_one", header, now, body, now=now + 600)


# --- Fan-out -------------------------------------------------------------------------------


def test_an_event_goes_to_each_active_subscriber_of_its_topic_once(world, hiring_manager):
    # given three integrations: one wants decisions, one only scorecards, one is paused
    wanted = WebhookSubscription.objects.create(
        name="ATS", url="https://ats.example.com/hooks", events=["decision.recorded"]
    )
    WebhookSubscription.objects.create(
        name="Slack", url="https://slack.example.com/hooks", events=["scorecard.submitted"]
    )
    WebhookSubscription.objects.create(
        name="Old ATS", url="https://old.example.com/hooks", events=ALL_EVENTS, is_active=False
    )

    # when the hiring manager records a decision and the outbox is dispatched, twice over
    decision = decision_record(
        loop=world.loop, outcome="hire", rationale="Strong panel.", by=hiring_manager
    )
    dispatch_all()
    event = OutboxEvent.objects.get(topic="decision.recorded")
    assert webhooks.fan_out(event) == 1  # the handler running again...
    assert WebhookDelivery.objects.count() == 1  # ...makes nothing new

    # then only the subscriber of decisions has one delivery, its body the decision's facts
    delivery = WebhookDelivery.objects.get()
    assert delivery.subscription == wanted
    body = json.loads(delivery.body)
    assert body["id"] == str(delivery.event_id)
    assert body["type"] == "decision.recorded"
    assert body["data"] == {
        "decision_id": decision.pk,
        "loop_id": world.loop.pk,
        "requisition_id": world.requisition.pk,
        "candidate_id": world.loop.candidate_id,
        "outcome": "hire",
        "level_offered": None,
        "decided_by_id": hiring_manager.pk,
        "decided_at": decision.decided_at.isoformat(),
        "previous_decision_id": None,
    }
    candidate = world.loop.candidate
    assert candidate.full_name not in delivery.body
    assert candidate.email not in delivery.body


def test_a_scorecard_body_says_which_revision_and_whether_it_amends(world, interviewer):
    WebhookSubscription.objects.create(
        name="ATS", url="https://ats.example.com/hooks", events=["scorecard.submitted"]
    )
    first = submit(world.interview, interviewer)
    dispatch_all()
    scorecard = first.scorecard
    services.scorecard_start_amendment(scorecard=scorecard, by=interviewer)
    second = services.scorecard_submit(
        scorecard=scorecard,
        by=interviewer,
        content=full_content(world.interview, amendment_reason="Reference check"),
        amend=True,
    )
    dispatch_all()

    bodies = [json.loads(d.body)["data"] for d in WebhookDelivery.objects.order_by("id")]
    assert [(b["revision_id"], b["revision"], b["amendment"]) for b in bodies] == [
        (first.pk, 1, False),
        (second.pk, 2, True),
    ]
    assert bodies[0] | {"submitted_at": None} == {
        "scorecard_id": scorecard.pk,
        "revision_id": first.pk,
        "revision": 1,
        "amendment": False,
        "submitted_at": None,
        "interview_id": world.interview.pk,
        "interviewer_id": interviewer.pk,
        "loop_id": world.loop.pk,
        "requisition_id": world.requisition.pk,
        "candidate_id": world.loop.candidate_id,
    }


# --- Sending -------------------------------------------------------------------------------


def test_a_ping_arrives_signed_with_the_documented_headers(receiver):
    subscription = subscribe(receiver)

    delivery = webhooks.send_ping(subscription)
    assert webhooks.deliver_due() == 1

    [seen] = receiver.accepted
    assert seen["valid"]
    headers = seen["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Loopwise-Webhooks/1"
    assert headers["Loopwise-Event"] == "ping"
    assert headers["Loopwise-Delivery"] == str(delivery.event_id) == seen["body"]["id"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)
    assert delivery.attempt_log[0]["status"] == 200


def test_plain_http_is_refused_when_not_allowed_and_nothing_is_sent(receiver, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    subscription = subscribe(receiver)  # saved before the rule, e.g. in a fixture or shell

    delivery = webhooks.send_ping(subscription)
    webhooks.deliver_due()

    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "use an https URL" in delivery.last_error
    assert receiver.requests == []


def test_a_paused_subscription_holds_its_deliveries_until_resumed(receiver):
    subscription = subscribe(receiver)
    delivery = webhooks.send_ping(subscription)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)

    assert webhooks.deliver_due() == 0
    assert receiver.requests == []

    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=True)
    assert webhooks.deliver_due() == 1
    assert receiver.deliveries() == [str(delivery.event_id)]


def test_a_redirect_is_not_followed_but_logged_and_retried(receiver):
    receiver.script = [302]
    subscription = subscribe(receiver)
    delivery = webhooks.send_ping(subscription)

    webhooks.deliver_due()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == ("pending", 302)
    assert delivery.next_attempt_at > timezone.now()
    assert len(receiver.requests) == 1  # the Location was never asked for
    assert delivery.attempt_log[0]["status"] == 302


def test_an_unreachable_receiver_holds_back_its_other_deliveries_unspent(receiver):
    # given a subscription whose server is gone, with three deliveries due
    subscription = subscribe(receiver, url="http://127.0.0.1:9/hooks")
    pings = [webhooks.send_ping(subscription) for _ in range(3)]

    webhooks.deliver_due()

    rows = {d.pk: d for d in WebhookDelivery.objects.all()}
    first = rows[pings[0].pk]
    assert first.attempts == 1
    assert "Connection" in first.last_error or "refused" in first.last_error
    assert first.attempt_log[0]["error"]
    # the others were not tried: they wait for the same retry, with no attempt spent
    for ping in pings[1:]:
        assert rows[ping.pk].attempts == 0
        assert rows[ping.pk].next_attempt_at == first.next_attempt_at


# --- Admin ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error_field"),
    [
        ({"events": ["scorecard.submitted", "candidate.hired"]}, "events"),
        ({"events": []}, "events"),
        ({"url": "ftp://ats.example.com/hooks"}, "url"),
        ({"url": "not a url"}, "url"),
    ],
)
def test_the_subscription_form_refuses_bad_input(data, error_field):
    form = WebhookSubscriptionForm(
        data={"name": "ATS", "url": "https://ats.example.com/hooks", "events": ALL_EVENTS} | data
    )
    assert not form.is_valid()
    assert list(form.errors) == [error_field]


def test_the_subscription_form_refuses_plain_http_when_not_allowed(settings):
    data = {"name": "ATS", "url": "http://ats.example.com/hooks", "events": ALL_EVENTS}
    settings.WEBHOOK_ALLOW_HTTP = False
    form = WebhookSubscriptionForm(data=data)
    assert not form.is_valid()
    assert "https" in form.errors["url"][0]

    settings.WEBHOOK_ALLOW_HTTP = True
    form = WebhookSubscriptionForm(data=data)
    assert form.is_valid(), form.errors


def test_a_superuser_adds_a_subscription_with_a_secret(admin_client, admin_user):
    response = admin_client.post(
        "/admin/hiring/webhooksubscription/add/",
        {
            "name": "ATS",
            "url": "https://ats.example.com/hooks",
            "events": ["loop.ready_for_debrief", "decision.recorded"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["loop.ready_for_debrief", "decision.recorded"]
    assert subscription.secret.startswith("whsec_")
    assert subscription.created_by == admin_user
    page = admin_client.get(f"/admin/hiring/webhooksubscription/{subscription.pk}/change/")
    assert subscription.secret in page.content.decode()  # shown, read-only


CHANGELISTS = ["/admin/hiring/webhooksubscription/", "/admin/hiring/webhookdelivery/"]


@pytest.mark.parametrize("url", CHANGELISTS)
def test_a_recruiter_is_refused_the_webhook_admin(client, world, recruiter, url):
    client.force_login(recruiter)
    assert client.get(url).status_code == 403
    assert not Group.objects.get(name=RECRUITERS_GROUP).permissions.filter(
        codename__contains="webhook"
    )


@pytest.mark.parametrize("url", CHANGELISTS)
def test_staff_given_webhook_permissions_are_still_refused(client, url):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__contains="webhook"))
    client.force_login(staff)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("persona", ["hiring_manager", "interviewer", "outsider", None])
@pytest.mark.parametrize("url", CHANGELISTS)
def test_everyone_else_is_sent_to_the_login_page(client, world, persona, url, request):
    if persona is not None:
        client.force_login(request.getfixturevalue(persona))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_subscription_list_counts_deliveries_in_constant_queries(admin_client):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(CHANGELISTS[0]).status_code == 200
        return len(queries)

    subscription = WebhookSubscription.objects.create(
        name="ATS", url="https://ats.example.com/hooks", events=ALL_EVENTS
    )
    webhooks.send_ping(subscription)
    one = list_queries()
    for n in range(4):
        other = WebhookSubscription.objects.create(
            name=f"ATS {n}", url="https://ats.example.com/hooks", events=ALL_EVENTS
        )
        webhooks.send_ping(other)
    WebhookDelivery.objects.filter(subscription=subscription).update(status="failed")
    assert list_queries() == one

    page = admin_client.get(CHANGELISTS[0]).content.decode()
    assert '<td class="field-failed_count">1</td>' in page
    assert page.count('<td class="field-pending_count">1</td>') == 4


def test_send_test_event_and_rotate_secret_from_the_admin(admin_client, receiver):
    subscription = subscribe(receiver)
    paused = subscribe(receiver, name="Paused", is_active=False)
    old_secret = subscription.secret

    response = admin_client.post(
        CHANGELISTS[0],
        {"action": "send_test_event", "_selected_action": [subscription.pk, paused.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("Paused, so nothing was sent: Paused" in m for m in messages)
    assert list(WebhookDelivery.objects.values_list("topic", "subscription")) == [
        ("ping", subscription.pk)
    ]

    admin_client.post(
        CHANGELISTS[0], {"action": "rotate_secret", "_selected_action": [subscription.pk]}
    )
    subscription.refresh_from_db()
    assert subscription.secret != old_secret
    receiver.secret = subscription.secret  # the receiver was given the new one
    webhooks.deliver_due()
    assert [seen["valid"] for seen in receiver.accepted] == [True]


def test_the_delivery_log_shows_the_body_and_retries_a_failed_delivery_now(admin_client):
    subscription = WebhookSubscription.objects.create(
        name="ATS", url="https://ats.example.com/hooks", events=ALL_EVENTS
    )
    delivery = webhooks.send_ping(subscription)
    later = timezone.now() + timedelta(hours=1)
    log = [{"at": "2025-01-01T00:00:00+00:00", "status": 500, "response": "boom", "ms": 12}]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="failed", attempts=10, next_attempt_at=later, attempt_log=log
    )

    page = admin_client.get(f"{CHANGELISTS[1]}{delivery.pk}/change/").content.decode()
    assert "&quot;type&quot;: &quot;ping&quot;" in page  # pretty-printed, escaped
    assert "&quot;response&quot;: &quot;boom&quot;" in page

    admin_client.post(CHANGELISTS[1], {"action": "retry", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert delivery.next_attempt_at <= timezone.now()
    assert delivery.attempt_log == log  # the history stays


def test_the_demo_shows_a_paused_subscription_with_a_short_log(client, demo):
    from scorecards.demo import ADMIN

    dispatch_all()  # what the worker of `make run` does next

    subscription = WebhookSubscription.objects.get()
    assert (subscription.name, subscription.is_active) == ("Demo ATS (paused)", False)
    assert subscription.events == ALL_EVENTS
    log = WebhookDelivery.objects.order_by("id")
    assert [(d.status, d.attempts) for d in log] == [
        ("delivered", 1),
        ("delivered", 2),
        ("failed", 3),
    ]  # paused: the demo's own events added nothing, and nothing is due
    assert webhooks.deliver_due() == 0
    client.force_login(User.objects.get(username=ADMIN.username))
    page = client.get(CHANGELISTS[1]).content.decode()
    assert "Demo ATS (paused)" in page


def test_internal_addresses_are_refused_when_private_networks_are_off(receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    subscription = subscribe(receiver)  # the test receiver listens on 127.0.0.1

    delivery = webhooks.send_ping(subscription)
    webhooks.deliver_due()

    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "internal address (127.0.0.1)" in delivery.last_error
    assert receiver.requests == []

    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    webhooks.retry_now([delivery])
    webhooks.deliver_due()
    assert receiver.deliveries() == [str(delivery.event_id)]


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost/hooks",
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hooks",
    ],
)
def test_the_subscription_form_refuses_internal_addresses(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    form = WebhookSubscriptionForm(data={"name": "ATS", "url": url, "events": ALL_EVENTS})
    assert not form.is_valid()
    assert "internal address" in form.errors["url"][0]


def test_a_public_address_passes_the_check(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    assert webhooks.address_refusal("https://93.184.216.34/hooks") is None


def test_whoever_runs_the_integration_hears_once_a_day_when_deliveries_fail(
    receiver, settings, admin_user
):
    from django.core import mail

    from hiring.delivery import notifications

    # given a receiver that answers 500 and no retries
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.script = [500, 500, 500]
    subscription = subscribe(receiver, created_by=admin_user)

    # when two deliveries are given up the same day
    first = webhooks.send_ping(subscription)
    webhooks.deliver_due()
    webhooks.send_ping(subscription)
    webhooks.deliver_due()

    # then the subscription's creator gets one e-mail saying so, with a link to the log
    assert WebhookDelivery.objects.filter(status="failed").count() == 2
    notifications.deliver_due()
    [message] = mail.outbox
    assert message.to == [admin_user.email]
    assert message.subject == "Webhook deliveries failed: ATS"
    assert "2 webhook events" in message.body
    assert "HTTP 500" in message.body
    assert "/admin/hiring/webhookdelivery/?subscription__id__exact=" in message.body

    # and once every failed delivery was retried, an alert still waiting would say nothing
    webhooks.retry_now(WebhookDelivery.objects.all())
    receiver.script = []
    webhooks.deliver_due()
    first.refresh_from_db()
    assert first.status == "delivered"
    [alert] = Notification.objects.filter(reason=webhooks.FAILED_REASON)
    assert webhooks.render_failure_alert(alert) is None
