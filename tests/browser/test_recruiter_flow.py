"""A recruiter, end to end in a real browser: a loop with four interviews created in the
admin (typed with the new loop), a double-booking refused and fixed, invites sent after their
confirmation page, an interview rescheduled on its own page and another cancelled from the
loop's schedule with a reason; the e-mails go through a real SMTP
server (aiosmtpd) and their .ics attachments parse back into the right times, UIDs, SEQUENCE
and METHOD; a reschedule sends the update and a cancellation METHOD:CANCEL."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group
from icalendar import Calendar
from playwright.sync_api import expect

from hiring import privacy
from hiring.delivery.notifications import deliver_due
from hiring.models import Interview, Loop
from hiring.roles import RECRUITERS_GROUP
from tests.factories import (
    CandidateFactory,
    InterviewFactory,
    LoopFactory,
    RequisitionFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LONDON = ZoneInfo("Europe/London")
DAY = datetime(2031, 3, 4)  # a Tuesday, safely in the future


class Inbox:
    """An aiosmtpd handler that keeps every accepted message."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def take(self) -> list[email.message.EmailMessage]:
        taken, self.messages = self.messages, []
        return taken


@pytest.fixture
def inbox(settings) -> Iterator[Inbox]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()


def calendar_of(message: email.message.EmailMessage) -> tuple[str, Calendar] | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            assert (part.get_filename() or "").endswith(".ics")
            return str(part.get_param("method")), Calendar.from_ical(part.get_payload(decode=True))
    return None


def events_by_recipient(messages):
    found = {}
    for message in messages:
        parsed = calendar_of(message)
        if parsed is None:
            continue
        method, calendar = parsed
        if method == "PUBLISH":  # the candidate's schedule: tests/hiring/test_invites.py
            continue
        [event] = calendar.walk("VEVENT")
        found[str(message["To"])] = (method, str(calendar["METHOD"]), event)
    return found


def at(hour: int) -> datetime:
    return DAY.replace(hour=hour, tzinfo=LONDON)


def pick(page, select_id: str, text: str) -> None:
    """Choose ``text`` in the autocomplete (select2) widget that stands for the select
    ``select_id``, as a person does: open it, type its first word, wait for the server's
    answer, click it. The answer must offer ``text`` alone (no namesake it may not offer)."""
    page.click(f"#{select_id} + .select2 .select2-selection")
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(text.split()[0].lower())
    options = page.locator(".select2-container--open .select2-results__option")
    expect(options).to_have_text([text])
    options.first.click()
    expect(page.locator(f"#{select_id} option:checked")).to_have_text(text)


def fill_interview(page, n: int, *, title: str, start: int, who, focus: str) -> None:
    prefix = f"#id_interviews-{n}-"
    page.fill(prefix + "title", title)
    page.fill(prefix + "starts_at_0", DAY.strftime("%Y-%m-%d"))
    page.fill(prefix + "starts_at_1", f"{start:02d}:00:00")
    page.fill(prefix + "ends_at_0", DAY.strftime("%Y-%m-%d"))
    page.fill(prefix + "ends_at_1", f"{start + 1:02d}:00:00")
    page.fill(prefix + "time_zone", "Europe/London")
    page.fill(prefix + "location", f"Room {n + 1}")
    pick(page, f"id_interviews-{n}-interviewers", str(who))
    page.select_option(prefix + "focus_dimensions_from", label=focus)
    page.click(prefix + "focus_dimensions_add")


def set_start(page, n: int, start: int) -> None:
    prefix = f"#id_interviews-{n}-"
    page.fill(prefix + "starts_at_1", f"{start:02d}:00:00")
    page.fill(prefix + "ends_at_1", f"{start + 1:02d}:00:00")


def cancel_interview(page, title: str, *, reason: str) -> None:
    """Cancel an interview from the loop's schedule, as the admin asks: its confirmation
    page, then a reason (a blank one the browser refuses to send)."""
    page.get_by_role("button", name=f"Cancel “{title}”…").click()
    page.wait_for_load_state()
    expect(page.locator("#confirm-summary")).to_contain_text("Cancels 1 interview;")
    page.get_by_role("button", name="Cancel interviews").click()
    expect(page.locator(".messagelist")).to_have_count(0)
    page.fill("#id_reason", reason)
    page.get_by_role("button", name="Cancel interviews").click()
    expect(page.locator(".messagelist")).to_contain_text("Interviews updated: 1.")
    # Each page loads its styles and scripts before the next click: a click that leaves a
    # page still fetching them cancels requests the CSP route is about to answer.
    page.wait_for_load_state()


def test_recruiter_schedules_a_loop_and_sends_invites(
    csp_page, live_server, settings, screenshots, inbox
):
    # given a recruiter, a fresh candidate, four interviewers, one of them busy elsewhere
    # (and namesakes the widgets must not offer: another recruiter's candidate, someone who
    # has left)
    settings.SITE_URL = live_server.url
    recruiter = UserFactory(username="rita", is_staff=True)
    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    requisition = RequisitionFactory(title="VP of Product", recruiters=[recruiter])
    # added by this recruiter (audited, as the admin or the CSV import would): theirs to schedule
    candidate = privacy.candidate_save(
        candidate=CandidateFactory.build(full_name="Ada Lovelace", email="ada@example.com"),
        by=recruiter,
    )
    panel = [
        UserFactory(username=name, first_name=name.title(), last_name="Doe")
        # names no factory makes up, so each widget offers one person for its first word
        for name in ("irisette", "jonasz", "kimiko", "leelou")
    ]
    busy = panel[1]
    LoopFactory(candidate=CandidateFactory(full_name="Ada Byron"))
    UserFactory(username="irisette.left", first_name="Irisette", last_name="Left", is_active=False)
    InterviewFactory(loop=LoopFactory(), title="Elsewhere", interviewers=[busy], starts_at=at(10))
    profile = requisition.profile
    focus = [d.name for d in profile.dimensions.filter(must_have=True)] or [
        d.name for d in profile.dimensions.all()[:4]
    ]
    focus = (focus * 4)[:4]

    page = csp_page.page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/hiring/loop/add/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")

    # when the recruiter creates the loop with four interviews, one double-booked
    pick(page, "id_candidate", "Ada Lovelace")
    page.select_option("#id_requisition", label="VP of Product")
    for n, (title, hour) in enumerate(
        [("Strategy", 9), ("Portfolio case", 10), ("Leadership", 11), ("Values", 13)]
    ):
        page.get_by_text("Add another Interview").click()
        fill_interview(page, n, title=title, start=hour, who=panel[n], focus=focus[n])
    page.click("input[name=_continue]")

    # then the save is refused, naming who and when
    error = page.locator(".errornote, .errorlist").filter(has_text="double-booked").first
    expect(error).to_contain_text(f"{busy.display_name} is double-booked")
    expect(error).to_contain_text("04 Mar 2031 10:00")
    page.screenshot(path=str(screenshots / "recruiter-double-booking.png"), full_page=True)
    assert not Loop.objects.filter(candidate=candidate).exists()

    # when they move the interview to 14:00, the loop saves
    set_start(page, 1, 14)
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    loop = Loop.objects.get(candidate=candidate)
    assert loop.interviews.count() == 4
    strategy = loop.interviews.get(title="Strategy")
    assert strategy.starts_at == at(9)

    # and sends invites from the loop page
    page.get_by_role("button", name="Send invites…").click()
    page.wait_for_load_state()
    expect(page.locator("#confirm-summary")).to_contain_text("4 invites to panel members")
    page.get_by_role("button", name="Send invites", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".messagelist")).to_contain_text("Invites scheduled: 4")
    page.screenshot(path=str(screenshots / "recruiter-loop-invited.png"), full_page=True)
    assert deliver_due() == 5
    invited = inbox.take()
    assert len(invited) == 5
    events = events_by_recipient(invited)
    assert set(events) == {member.email for member in panel}
    for interview in loop.interviews.all():
        [member] = interview.interviewers.all()
        method, calendar_method, event = events[member.email]
        assert (method, calendar_method) == ("REQUEST", "REQUEST")
        assert str(event["UID"]) == interview.calendar_uid
        assert int(event["SEQUENCE"]) == 0
        assert event.decoded("DTSTART") == interview.starts_at
        assert event.decoded("DTEND") == interview.ends_at
        assert event["DTSTART"].params["TZID"] == "Europe/London"
    [schedule] = [m for m in invited if str(m["To"]) == "ada@example.com"]
    method, schedule_calendar = calendar_of(schedule)
    assert method == "PUBLISH"  # the candidate's own copy: four events, no attendees
    assert len(schedule_calendar.walk("VEVENT")) == 4
    assert "Your interview schedule" in str(schedule["Subject"])

    # when the recruiter moves "Strategy" to 08:00 on its own page and cancels "Values"
    page.get_by_role("link", name="Edit “Strategy”").click()
    page.wait_for_load_state()
    page.fill("#id_starts_at_1", "08:00:00")
    page.fill("#id_ends_at_1", "09:00:00")
    page.click("input[name=_save]")
    page.wait_for_load_state()
    expect(page.locator(".messagelist")).to_contain_text("Calendar update sent")
    page.screenshot(path=str(screenshots / "recruiter-loop-rescheduled.png"), full_page=True)
    cancel_interview(page, "Values", reason="The panel member is away.")
    deliver_due()
    changed = inbox.take()

    # then Strategy's panel gets an update (same UID, SEQUENCE 1) and Values' a CANCEL
    events = events_by_recipient(changed)
    values = loop.interviews.get(title="Values")
    strategy.refresh_from_db()
    method, _, update = events[panel[0].email]
    assert method == "REQUEST"
    assert str(update["UID"]) == strategy.calendar_uid
    assert int(update["SEQUENCE"]) == 1
    assert update.decoded("DTSTART") == at(8)
    method, calendar_method, cancel = events[panel[3].email]
    assert (method, calendar_method) == ("CANCEL", "CANCEL")
    assert str(cancel["UID"]) == values.calendar_uid
    assert int(cancel["SEQUENCE"]) == 1
    assert values.status == Interview.Status.CANCELLED
    assert panel[1].email not in events
    assert panel[2].email not in events
    schedule_update = [m for m in changed if str(m["To"]) == "ada@example.com"]
    assert len(schedule_update) == 1
    assert csp_page.violations == []  # the widgets run under the strict policy
