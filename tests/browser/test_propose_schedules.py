"""The recruiter proposes schedules from the loop page, books one and sends the invites
(issue 17): the candidate's availability in their zone, the options side by side with each
interview's time in both zones, one click to book, and the panel's calendar invites arrive
by real SMTP. Every page passes axe and the strict CSP; screenshots at 1280 and 390 px."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from hiring.delivery.notifications import deliver_due
from hiring.models import PlanSlot, User
from hiring.roles import RECRUITERS_GROUP
from tests.browser.axe import assert_no_axe_violations
from tests.browser.test_recruiter_flow import events_by_recipient, inbox  # noqa: F401
from tests.factories import CandidateFactory, LoopFactory, RequisitionFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEW_YORK = ZoneInfo("America/New_York")


def shoot(page, screenshots, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(screenshots / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_recruiter_proposes_books_and_invites_from_the_loop_page(
    csp_page,
    live_server,
    screenshots,
    inbox,  # noqa: F811
):
    # given a recruiter, a requisition with its own three-slot plan and a pool per slot,
    # and a candidate in New York with no interview yet
    recruiter = UserFactory(username="rita", is_staff=True, time_zone="Europe/London")
    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    requisition = RequisitionFactory(title="VP of Product", recruiters=[recruiter])
    people: dict[str, User] = {
        name: UserFactory(
            username=name.lower(), first_name=name, last_name="Doe", time_zone="Europe/London"
        )
        for name in ("Ava", "Ben", "Cai")
    }
    case = PlanSlot.objects.create(
        requisition=requisition, position=1, slug="case", title="Portfolio case", minutes=90
    )
    chat = PlanSlot.objects.create(
        requisition=requisition, position=2, slug="chat", title="Values chat", minutes=45
    )
    readout = PlanSlot.objects.create(
        requisition=requisition,
        position=3,
        slug="readout",
        title="Case readout",
        minutes=45,
        after=case,
        same_day=True,
    )
    case.pool.set([people["Ava"]])
    chat.pool.set([people["Ben"]])
    readout.pool.set([people["Cai"]])
    candidate = CandidateFactory(full_name="Nia Lowe", time_zone="America/New_York")
    loop = LoopFactory(requisition=requisition, candidate=candidate)

    page = csp_page.page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/hiring/loop/{loop.pk}/change/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_load_state()

    # when she asks for proposals from the loop page, with Nia's availability in New York
    page.get_by_role("link", name="Propose schedules for the open slots").click()
    expect(page.get_by_role("heading", name="When is Nia Lowe available?")).to_be_visible()
    expect(page.locator("#availability")).to_contain_text("America/New_York")
    page.fill("#id_first_day", "2031-03-04")
    page.fill("#id_days", "2")
    page.fill("#id_start", "08:00")
    page.fill("#id_end", "14:00")
    page.get_by_role("button", name="Propose schedules").click()

    # then options come side by side, in both zones, with their reasons, and no writes
    options = page.locator("article.option")
    expect(options.first).to_be_visible()
    first = options.first
    expect(first.locator("tbody tr")).to_have_count(3)
    expect(first).to_contain_text("Ava Doe")
    expect(first).to_contain_text("for the candidate")  # the reasons, in words
    assert loop.interviews.count() == 0
    assert_no_axe_violations(page, where="proposals")
    shoot(page, screenshots, "recruiter-proposals")

    # when she books the first option
    first.get_by_role("button", name="Book option 1").click()

    # then she is back on the loop with its three interviews, New York hours respected
    expect(page.locator(".messagelist")).to_contain_text("Booked 3 interviews")
    expect(page.locator("#schedule tbody tr")).to_have_count(3)
    booked = list(loop.interviews.order_by("starts_at"))
    assert {i.plan_slot_id for i in booked} == {case.pk, chat.pk, readout.pk}
    for interview in booked:
        day = interview.starts_at.astimezone(NEW_YORK).date()
        assert day in {date(2031, 3, 4), date(2031, 3, 5)}
        assert interview.starts_at >= datetime.combine(day, time(8), tzinfo=NEW_YORK)
        assert interview.ends_at <= datetime.combine(day, time(14), tzinfo=NEW_YORK)
    assert_no_axe_violations(page, where="loop after booking")
    shoot(page, screenshots, "recruiter-proposal-booked")

    # and sends the invites: each panel member gets a calendar invite by real SMTP
    page.get_by_role("button", name="Send invites…").click()
    page.get_by_role("button", name="Send invites", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("Invites scheduled: 3")
    deliver_due()
    events = events_by_recipient(inbox.take())
    assert set(events) == {person.email for person in people.values()}
    for interview in booked:
        [member] = interview.interviewers.all()
        _, method, event = events[member.email]
        assert method == "REQUEST"
        assert event.decoded("DTSTART") == interview.starts_at
    assert csp_page.violations == []
