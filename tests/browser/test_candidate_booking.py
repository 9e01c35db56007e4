"""The candidate books their interviews from the e-mailed link on a 390 px phone (issue 17):
the recruiter sends the link from the loop's propose page, it arrives by real SMTP, the page
opens in the phone's own time zone (detected), one tap books a complete schedule, and the
panel's invites and the candidate's schedule go out. Without JavaScript the same page works:
the candidate ticks when they are free and books inside it. Every page passes axe with no
critical or serious violation, under the strict CSP, with nothing wider than the phone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from hiring.delivery.notifications import deliver_due
from hiring.models import BookingLink, PlanSlot, User
from hiring.roles import RECRUITERS_GROUP
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import CspPage
from tests.browser.test_recruiter_flow import events_by_recipient, inbox  # noqa: F401
from tests.factories import CandidateFactory, LoopFactory, RequisitionFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEW_YORK = ZoneInfo("America/New_York")
DAY = date(2031, 3, 4)  # a Tuesday
PHONE = {"width": 390, "height": 844}


def fits_the_phone(page) -> bool:
    return bool(
        page.evaluate(
            "document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
        )
    )


def link_in(messages, address: str) -> str:
    [message] = [m for m in messages if m["To"] == address]
    body = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"https?://\S+/book/\S+/", body)
    assert found, body
    return urlsplit(found.group(0)).path


@pytest.fixture
def planned_loop() -> tuple[User, object, dict[str, User]]:
    recruiter = UserFactory(username="rita", is_staff=True, time_zone="Europe/London")
    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    requisition = RequisitionFactory(title="VP of Product", recruiters=[recruiter])
    people: dict[str, User] = {
        name: UserFactory(
            username=name.lower(), first_name=name, last_name="Doe", time_zone="Europe/London"
        )
        for name in ("Ava", "Ben")
    }
    case = PlanSlot.objects.create(
        requisition=requisition, position=1, slug="case", title="Portfolio case", minutes=60
    )
    chat = PlanSlot.objects.create(
        requisition=requisition, position=2, slug="chat", title="Values chat", minutes=45
    )
    case.pool.set([people["Ava"]])
    chat.pool.set([people["Ben"]])
    candidate = CandidateFactory(
        full_name="Nia Lowe", email="nia@example.org", time_zone="Europe/London"
    )
    return recruiter, LoopFactory(requisition=requisition, candidate=candidate), people


def test_the_candidate_books_from_the_emailed_link_on_a_phone(
    chromium,
    csp_page,
    live_server,
    screenshots,
    inbox,  # noqa: F811
    planned_loop,
):
    _, loop, people = planned_loop

    # the recruiter sends the booking link from the loop's propose page
    page = csp_page.page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/hiring/loop/{loop.pk}/propose/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.fill("#id_link_first_day", DAY.isoformat())
    page.fill("#id_link_days", "3")
    page.get_by_role("button", name="Send the booking link").click()
    expect(page.locator(".messagelist")).to_contain_text("on its way to nia@example.org")
    expect(page.locator("#booking-link table")).to_contain_text("Waiting for the candidate")
    assert_no_axe_violations(page, where="propose page with a link sent")
    deliver_due()
    path = link_in(inbox.take(), "nia@example.org")

    # the candidate opens it on a phone set to New York: the page speaks New York time
    phone = chromium.new_context(viewport=PHONE, timezone_id="America/New_York")
    mobile = CspPage(phone.new_page(), live_server.url)
    mobile.page.set_default_timeout(10_000)
    mobile.page.goto(live_server.url + path)
    expect(mobile.page.locator("#tz")).to_have_value("America/New_York")
    expect(mobile.page.get_by_role("heading", name="Choose your interview times")).to_be_visible()
    options = mobile.page.locator(".option")
    expect(options.first).to_contain_text("Portfolio case")
    expect(options.first).to_contain_text("Ava Doe")
    assert fits_the_phone(mobile.page)
    assert_no_axe_violations(mobile.page, where="booking page on a phone")
    mobile.page.screenshot(path=str(screenshots / "candidate-booking-390.png"), full_page=True)

    # nothing is chosen for them: booking without a choice is stopped by the browser
    mobile.page.get_by_role("button", name="Book this schedule").click()
    expect(mobile.page.get_by_role("heading", name="Choose your interview times")).to_be_visible()
    assert loop.interviews.count() == 0
    # the first schedule, one tap to choose and one to book
    mobile.page.get_by_role("radio", name="Schedule 1").check()
    mobile.page.get_by_role("button", name="Book this schedule").click()
    expect(mobile.page.get_by_role("heading", name="Your interviews are booked")).to_be_visible()
    assert fits_the_phone(mobile.page)
    assert_no_axe_violations(mobile.page, where="booked page on a phone")
    mobile.page.screenshot(path=str(screenshots / "candidate-booked-390.png"), full_page=True)

    booked = list(loop.interviews.order_by("starts_at"))
    assert len(booked) == 2
    for interview in booked:
        local = interview.starts_at.astimezone(NEW_YORK)
        assert local.hour >= 9
        assert interview.time_zone == "America/New_York"
        shown = f"{local:%H:%M}\N{EN DASH}{interview.ends_at.astimezone(NEW_YORK):%H:%M}"
        expect(mobile.page.locator(".cards")).to_contain_text(shown)

    # the panel's invites and Nia's schedule arrive by real SMTP
    deliver_due()
    messages = inbox.take()
    events = events_by_recipient(messages)
    assert set(events) == {person.email for person in people.values()}
    for interview in booked:
        [member] = interview.interviewers.all()
        assert events[member.email][2].decoded("DTSTART") == interview.starts_at
    assert any(m["To"] == "nia@example.org" for m in messages)
    assert mobile.violations == []
    assert csp_page.violations == []
    phone.close()


def test_without_javascript_the_candidate_says_when_they_are_free_and_books(
    chromium,
    live_server,
    screenshots,
    planned_loop,
):
    from hiring.scheduling import booking

    recruiter, loop, _ = planned_loop
    link = booking.booking_link_send(loop=loop, by=recruiter, first_day=DAY, days=2)
    path = urlsplit(booking.link_url(link)).path

    phone = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    page = phone.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + path)
    # no detection without JavaScript: the candidate's own zone, shown and changeable
    expect(page.locator("#tz")).to_have_value("Europe/London")
    page.select_option("#tz", "America/New_York")
    page.get_by_role("button", name="Show times").click()
    expect(page.locator("#tz")).to_have_value("America/New_York")

    # Nia is free on Wednesday from 10:00 to 12:00, New York time
    wednesday = page.get_by_role("group", name=re.compile("Wednesday 5 March"))
    for hour in ("10:00", "11:00"):
        wednesday.get_by_role("checkbox", name=re.compile(f"^{hour}")).check()
    page.get_by_role("button", name="Save when I am free").click()
    # (axe and the width check need JavaScript: the phone test runs them on this same page)
    expect(wednesday.get_by_role("checkbox", name=re.compile("^11:00"))).to_be_checked()
    page.screenshot(path=str(screenshots / "candidate-availability-nojs-390.png"), full_page=True)

    first = page.locator(".option").first
    expect(first).to_contain_text("Wed 5 Mar")
    page.get_by_role("radio", name="Schedule 1").check()
    page.get_by_role("button", name="Book this schedule").click()
    expect(page.get_by_role("heading", name="Your interviews are booked")).to_be_visible()

    link.refresh_from_db()
    assert link.status == BookingLink.Status.BOOKED
    low = datetime.combine(DAY + timedelta(1), time(10), tzinfo=NEW_YORK)
    for interview in loop.interviews.all():
        assert low <= interview.starts_at
        assert interview.ends_at <= low + timedelta(hours=2)
    phone.close()
