"""Personal data, webhooks and the blind rule, end to end in a real browser: a recruiter
exports, audits and erases a candidate in the admin; a superuser subscribes a real HTTP
receiver, sends it a signed test event and retries a failed one from the delivery log; a
hiring manager on the panel sees the summary only once their own scorecard is in."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hiring.delivery import outbox, webhooks
from hiring.models import AuditEvent, Candidate, WebhookDelivery, WebhookSubscription
from scorecards.calibration import summaries
from scorecards.models import DimensionRating
from tests.factories import InterviewFactory
from tests.hiring.test_privacy import submit as submit_with_evidence
from tests.http_server import http_server
from tests.scorecards.test_summaries import submit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NAME = "Ada Lovelace"
EVIDENCE = f"{NAME} sized the market well; Ada knew it cold."
SUBSCRIPTIONS = "/admin/hiring/webhooksubscription/"
DELIVERIES = "/admin/hiring/webhookdelivery/"


# --- Helpers -------------------------------------------------------------------------------


def new_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def admin_sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools").get_by_role("button", name="Log out")).to_be_visible()


def run_action(page, label: str, *, rows: list[str]) -> None:
    """Tick the changelist rows whose first column links to one of ``rows``, then run the
    action chosen by its label."""
    for text in rows:
        row = page.locator("#result_list tbody tr").filter(has_text=text)
        row.locator("input.action-select").check()
    page.select_option("select[name=action]", label=label)
    page.click("button[name=index]")


def valid_signature(secret: str, headers: Any, body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does, written from the README rather than with hiring.webhooks."""
    timestamp = headers.get("Loopwise-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(headers.get("Loopwise-Signature", ""), "v1=" + digest.hexdigest())


@dataclass
class Receiver:
    """An HTTP endpoint on 127.0.0.1 that keeps every POST (raw body and headers) and
    answers ``status``."""

    url: str = ""
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        with self.lock:
            status = self.status
            self.requests.append(
                {"headers": dict(request.headers), "body": body, "answered": status}
            )
        request.send_response(status)
        request.send_header("Content-Type", "text/plain")
        request.end_headers()
        request.wfile.write(b"ok" if status == 200 else f"no: {status}".encode())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    with http_server(running.handle) as url:
        running.url = url
        yield running


# --- 1. Personal data ----------------------------------------------------------------------


def test_recruiter_exports_audits_and_erases_a_candidate(
    chromium, live_server, screenshots, world, recruiter, interviewer, tmp_path
):
    # given the world's candidate with contact data, and a submitted scorecard naming them
    candidate = world.loop.candidate
    Candidate.objects.filter(pk=candidate.pk).update(
        full_name=NAME,
        email="ada.lovelace@example.com",
        phone="+44 20 7946 0000",
        location="London",
    )
    submit_with_evidence(world.interview, interviewer, EVIDENCE)
    context, page = new_page(chromium)
    base = live_server.url
    change_url = f"{base}/admin/hiring/candidate/{candidate.pk}/change/"

    # when the recruiter signs in to the admin and opens the candidate
    admin_sign_in(page, base, recruiter.username, "pw")
    page.goto(f"{base}/admin/hiring/candidate/")
    page.get_by_role("link", name=NAME).click()
    expect(page).to_have_url(change_url)
    expect(page.locator("#id_phone")).to_have_value("+44 20 7946 0000")
    expect(page.locator("#id_location")).to_have_value("London")

    # then "Export personal data" downloads their data as JSON
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export personal data").click()
    download = download_info.value
    assert download.suggested_filename == f"candidate-{candidate.pk}.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["candidate"]["full_name"] == NAME
    assert data["candidate"]["phone"] == "+44 20 7946 0000"
    [loop] = data["loops"]
    assert loop["id"] == world.loop.pk
    assert loop["requisition"] == world.requisition.title
    evidence = [
        rating["evidence"]
        for interview in loop["interviews"]
        for scorecard in interview["scorecards"]
        for revision in scorecard["submitted_revisions"]
        for rating in revision["ratings"]
    ]
    assert evidence
    assert set(evidence) == {EVIDENCE}

    # and the audit trail shows the export
    page.get_by_role("link", name="Audit trail").click()
    expect(page).to_have_url(re.compile(rf"/admin/hiring/auditevent/\?candidate={candidate.pk}$"))
    expect(page.locator("#result_list")).to_contain_text("candidate.exported")
    expect(page.locator("#result_list")).to_contain_text("scorecard.submitted")

    # when they ask to erase, an empty reason is stopped by the browser...
    page.goto(change_url)
    page.get_by_role("link", name="Erase…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Erase personal data")
    expect(page.locator("#content")).to_contain_text(f"{NAME} <ada.lovelace@example.com>")
    reason = page.get_by_label(re.compile("^Reason"))
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.locator("#id_reason:invalid")).to_have_count(1)
    # ...and a blank one by the server, which says so and erases nothing
    reason.fill("   ")
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.locator(".errornote")).to_have_text("Say why these data are erased.")
    page.screenshot(path=str(screenshots / "privacy-erase-confirm.png"), full_page=True)
    candidate.refresh_from_db()
    assert (candidate.full_name, candidate.anonymised_at) == (NAME, None)
    assert not AuditEvent.objects.filter(action="candidate.erased").exists()

    # when they give a reason
    page.get_by_label(re.compile("^Reason")).fill("Candidate asked by e-mail on 3 March.")
    page.get_by_role("button", name="Erase personal data").click()

    # then the candidate page shows the erased, read-only record
    expect(page).to_have_url(change_url)
    expect(page.locator(".messagelist")).to_contain_text("Candidates erased: 1.")
    expect(page.locator(".field-full_name .readonly")).to_have_text(
        f"Erased candidate #{candidate.pk}"
    )
    expect(page.locator(".field-phone .readonly")).to_be_visible()
    # every field is read-only: the form has nothing left to type in
    editable = page.locator("#candidate_form fieldset").locator("input, textarea, select")
    expect(editable).to_have_count(0)
    expect(page.get_by_role("link", name="Erase…")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Save"))).to_have_count(0)  # a view
    assert NAME not in page.content()
    assert "+44 20 7946 0000" not in page.content()
    page.screenshot(path=str(screenshots / "privacy-erased.png"), full_page=True)

    # and in the database the scorecard evidence no longer names them
    candidate.refresh_from_db()
    assert candidate.anonymised_at is not None
    assert (candidate.phone, candidate.location) == ("", "")
    texts = set(
        DimensionRating.objects.filter(revision__scorecard__interview__loop=world.loop).values_list(
            "evidence", flat=True
        )
    )
    assert texts == {"[candidate] sized the market well; [candidate] knew it cold."}
    [erased] = AuditEvent.objects.filter(action="candidate.erased")
    assert erased.actor == recruiter
    context.close()


# --- 2. Webhooks ---------------------------------------------------------------------------


def test_superuser_subscribes_sends_a_signed_ping_and_retries_a_failure(
    chromium, live_server, screenshots, admin_user, receiver
):
    context, page = new_page(chromium)
    base = live_server.url

    # given a superuser in the admin, when they add a subscription to a real receiver
    admin_sign_in(page, base, admin_user.username, "password")
    page.goto(f"{base}{SUBSCRIPTIONS}add/")
    page.get_by_label("Name").fill("Loopback ATS")
    page.get_by_label("Url").fill(receiver.url)
    page.get_by_label("A scorecard was submitted or amended").check()
    page.get_by_label("A hiring decision was recorded").check()
    page.click("input[name=_continue]")

    # then it is saved, with a secret shown on its page
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    secret = page.locator(".field-secret .readonly").inner_text().strip()
    assert secret.startswith("whsec_")
    page.screenshot(path=str(screenshots / "webhooks-subscription.png"), full_page=True)
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["scorecard.submitted", "decision.recorded"]
    assert subscription.created_by == admin_user

    # when they send a test event from the list and the sweep runs
    page.goto(f"{base}{SUBSCRIPTIONS}")
    run_action(page, "Send test event", rows=["Loopback ATS"])
    expect(page.locator(".messagelist")).to_contain_text("A ping is on its way to 1 subscription")
    assert webhooks.deliver_due() == 1

    # then the receiver got one POST, signed with the secret the page showed
    [ping] = receiver.requests
    assert ping["headers"]["Loopwise-Event"] == "ping"
    assert valid_signature(secret, ping["headers"], ping["body"])
    assert not valid_signature(secret + "x", ping["headers"], ping["body"])
    assert json.loads(ping["body"])["type"] == "ping"

    # and the delivery log shows it delivered, with its body and attempt log
    page.goto(f"{base}{DELIVERIES}")
    row = page.locator("#result_list tbody tr").filter(has_text="ping")
    expect(row).to_have_count(1)
    expect(row.locator("td.field-status")).to_have_text("Delivered")
    expect(row.locator("td.field-response_status")).to_have_text("200")
    row.locator("th a").click()
    expect(page.locator(".field-body_pretty pre")).to_contain_text('"type": "ping"')
    expect(page.locator(".field-body_pretty pre")).to_contain_text(
        ping["headers"]["Loopwise-Delivery"]
    )
    expect(page.locator(".field-attempt_log_pretty pre")).to_contain_text('"status": 200')
    expect(page.locator(".field-attempt_log_pretty pre")).to_contain_text('"response": "ok"')

    # when the receiver answers 500 to the next test event
    receiver.status = 500
    page.goto(f"{base}{SUBSCRIPTIONS}")
    run_action(page, "Send test event", rows=["Loopback ATS"])
    expect(page.locator(".messagelist")).to_contain_text("A ping is on its way")
    assert webhooks.deliver_due() == 1
    second = WebhookDelivery.objects.latest("pk")
    assert (second.status, second.attempts, second.response_status) == ("pending", 1, 500)
    assert second.next_attempt_at > timezone.now()
    assert webhooks.deliver_due() == 0  # the backoff holds it back

    # then the log shows it pending with the error; "Retry now" makes it due at once
    page.goto(f"{base}{DELIVERIES}?status__exact=pending")
    failing = page.locator("#result_list tbody tr")
    expect(failing).to_have_count(1)
    expect(failing.locator("td.field-response_status")).to_have_text("500")
    expect(failing.locator("td.field-error")).to_contain_text("HTTP 500: no: 500")
    receiver.status = 200
    failing.locator("input.action-select").check()
    page.select_option("select[name=action]", label="Retry now")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("1 delivery(ies) will be sent again")
    second.refresh_from_db()
    assert second.next_attempt_at <= timezone.now()
    assert webhooks.deliver_due() == 1

    # and it ends delivered, its log holding both attempts
    page.goto(f"{base}{DELIVERIES}")
    expect(page.locator("td.field-status").filter(has_text="Delivered")).to_have_count(2)
    expect(page.locator("td.field-status").filter(has_text="Pending")).to_have_count(0)
    page.screenshot(path=str(screenshots / "webhooks-delivery-log.png"), full_page=True)
    page.goto(f"{base}{DELIVERIES}{second.pk}/change/")
    log = page.locator(".field-attempt_log_pretty pre")
    expect(log).to_contain_text('"status": 500')
    expect(log).to_contain_text('"status": 200')
    second.refresh_from_db()
    assert (second.status, second.response_status) == ("delivered", 200)
    assert [r["answered"] for r in receiver.requests] == [200, 500, 200]
    for seen in receiver.requests:
        assert valid_signature(secret, seen["headers"], seen["body"])
    context.close()


# --- 3. The blind rule for a hiring manager on the panel ----------------------------------


def test_a_panel_manager_sees_the_summary_once_their_own_scorecard_is_in(
    csp_page, live_server, screenshots, world, hiring_manager, interviewer, other_interviewer
):
    # given the hiring manager sits on the panel, and both colleagues have submitted
    own = InterviewFactory(
        loop=world.loop,
        title="Communication deep-dive",
        interviewers=[hiring_manager],
        focus=["communication"],
    )
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=4)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    page = csp_page.page
    base = live_server.url
    summary_url = f"{base}/manager/loops/{world.loop.pk}/"

    # when they sign in and open the loop's summary
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(hiring_manager.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto(summary_url)

    # then it is withheld until their scorecard is in: no scores, no decision form
    expect(page.get_by_role("heading", name="Submit your scorecard first")).to_be_visible()
    expect(page.get_by_text("Calibrated overall")).to_have_count(0)
    expect(page.locator("textarea[name=rationale]")).to_have_count(0)
    expect(page.get_by_role("button", name="Record decision")).to_have_count(0)
    page.screenshot(path=str(screenshots / "manager-summary-withheld.png"), full_page=True)

    # when they follow the link to their scorecard and submit it
    page.get_by_role("link", name=f"Write your scorecard for {own.title}").click()
    expect(page).to_have_url(re.compile(rf"/interviews/{own.pk}/scorecard/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Scorecard")
    communication = page.get_by_role("group", name=re.compile("^Communication"))
    communication.get_by_label("3 · Meets bar").check()
    communication.get_by_label("Evidence").fill("Clear, structured answers under pressure.")
    page.get_by_role("group", name="Overall recommendation").get_by_label("Yes", exact=True).check()
    page.get_by_label("Key takeaways").fill("Communicates well; hire.")
    page.get_by_role("button", name="Submit scorecard").click()
    expect(page.get_by_text("Scorecard submitted.")).to_be_visible()
    while outbox.dispatch():  # what the worker does next: the summary is recomputed
        pass

    # then the summary opens up, with the decision form
    page.goto(summary_url)
    expect(page.get_by_text("Calibrated overall")).to_be_visible()
    expect(page.get_by_role("heading", name="Submit your scorecard first")).to_have_count(0)
    expect(page.get_by_text("Partial:")).to_have_count(0)
    expect(page.get_by_role("rowheader", name=hiring_manager.display_name)).to_be_visible()
    expect(page.get_by_label("Rationale")).to_be_visible()
    expect(page.get_by_role("button", name="Record decision")).to_be_visible()
    world.loop.summary.refresh_from_db()
    assert (world.loop.summary.scorecards_in, world.loop.summary.scorecards_expected) == (3, 3)
    assert csp_page.violations == []
