"""The recruiter's loop page at a glance (issue 15, item 4), in a real browser at 1280 by 800 px:
four interviews as a compact schedule (each time in the recruiter's zone and the
candidate's, panel with invite states, focus, case), the role's dimensions it covers, and the
loop list, neither scrolling sideways. Cancelling, with a reason, the only interview on a
must-have flags the must-have at once. Screenshots at 1280 and 390 px go to
artifacts/screenshots/."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from hiring import services
from hiring.models import AuditEvent, CaseExercise, Interview, Loop
from hiring.roles import RECRUITERS_GROUP
from scorecards.models import LoopSummary
from tests.browser.axe import assert_no_axe_violations
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
# title, start hour (London), focus: "Strategy" alone covers the must-have "Product strategy"
PLAN = [
    ("Strategy", 9, ["product-strategy", "metrics-analytics"]),
    ("Leadership", 10, ["people-leadership"]),
    ("Values", 11, ["values-judgment", "communication"]),
    ("Portfolio case", 13, ["portfolio-prioritization"]),
]


def at(hour: int) -> datetime:
    return DAY.replace(hour=hour, tzinfo=LONDON)


def height(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollHeight"))


def scrolls_sideways(page: Page) -> bool:
    """The page, or the admin's list inside it (its own scrolling box), is wider than the
    window."""
    return bool(
        page.evaluate(
            """() => {
                const page = document.scrollingElement;
                const list = document.querySelector("#changelist .results");
                return page.scrollWidth > page.clientWidth
                    || (list !== null && list.scrollWidth > list.clientWidth);
            }"""
        )
    )


def shoot(page: Page, path: Path, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_loop_page_is_a_schedule_with_coverage_and_flags_a_must_have_lost_to_a_cancel(
    csp_page, live_server, screenshots
):
    # given a recruiter in Berlin, a candidate in New York, and a loop of four interviews
    recruiter = UserFactory(username="rita", is_staff=True, time_zone="Europe/Berlin")
    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    requisition = RequisitionFactory(title="VP of Product", recruiters=[recruiter])
    candidate = CandidateFactory(full_name="Ada Lovelace", time_zone="America/New_York")
    loop = LoopFactory(candidate=candidate, requisition=requisition)
    case = CaseExercise.objects.filter(profile=requisition.profile).first()
    for n, (title, hour, focus) in enumerate(PLAN):
        InterviewFactory(
            loop=loop,
            title=title,
            starts_at=at(hour),
            ends_at=at(hour + 1),
            time_zone="Europe/London",
            interviewers=[
                UserFactory(username=f"panel{n}", first_name=f"Panel{n}", last_name="Doe")
            ],
            focus=focus,
            case_exercise=case if title == "Portfolio case" else None,
        )
    services.loop_send_invites(loop=loop, by=recruiter)
    for _ in range(12):  # a list long enough to need its columns
        LoopFactory(requisition=requisition, candidate=CandidateFactory())
    LoopSummary.objects.create(  # the widest words a row shows
        loop=LoopFactory(
            requisition=requisition,
            candidate=CandidateFactory(full_name="Maximiliana Featherstonehaugh-Cholmondeley"),
            status=Loop.Status.READY_FOR_DEBRIEF,
        ),
        computed_at=timezone.now(),
        model_version="t",
        fingerprint="x",
        recommendation="strong_hire",
        calibrated_score=3.564009127959476,
    )
    strategy = loop.interviews.get(title="Strategy")

    page = csp_page.page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/hiring/loop/{loop.pk}/change/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_load_state()

    # when they open the loop: one row per interview, in both zones, with invite states
    rows = page.locator("#schedule tbody tr")
    expect(rows).to_have_count(4)
    first = rows.first
    expect(first).to_contain_text("Strategy")
    expect(first).to_contain_text("Tue 04 Mar 2031, 10:00\u201311:00 Europe/Berlin")
    expect(first).to_contain_text("Candidate: Tue 04 Mar 2031, 04:00\u201305:00 America/New_York")
    expect(first).to_contain_text("Panel0 Doe · invite queued")
    expect(first).to_contain_text("Product strategy")
    if case is not None:
        expect(rows.nth(3)).to_contain_text(f"Case: {case.title}")
    expect(page.locator("#coverage li.covered")).to_have_count(6)
    expect(page.locator("#must-have-missing")).to_have_count(0)
    expect(page.get_by_role("link", name="Add interview")).to_have_attribute(
        "href", f"/admin/hiring/interview/add/?loop={loop.pk}"
    )

    # then the page fits in well under two screens, with no sideways scrolling
    shoot(page, screenshots / "recruiter-loop-workspace-1280.png", 1280)
    shoot(page, screenshots / "recruiter-loop-workspace-390.png", 390)
    assert height(page) < 2000, height(page)
    assert not scrolls_sideways(page)

    # and the loop list reads without sideways scrolling, in words
    page.goto(f"{live_server.url}/admin/hiring/loop/")
    expect(page.locator("#result_list tbody tr")).to_have_count(14)
    widest = page.locator("#result_list tbody tr").filter(has_text="Featherstonehaugh")
    expect(widest).to_contain_text("Ready for debrief")
    expect(widest).to_contain_text("Strong hire (3.56)")  # words, two decimals
    shoot(page, screenshots / "recruiter-loop-list-1280.png", 1280)
    shoot(page, screenshots / "recruiter-loop-list-390.png", 390)
    assert not scrolls_sideways(page)

    # when the recruiter cancels "Strategy" from its row, with a reason
    page.goto(f"{live_server.url}/admin/hiring/loop/{loop.pk}/change/")
    page.get_by_role("button", name="Cancel “Strategy”…").click()
    page.wait_for_load_state()
    expect(page.locator("#confirm-summary")).to_contain_text("Cancels 1 interview;")
    expect(page.locator("#content-main")).to_contain_text(
        "A calendar cancellation goes to Panel0 Doe."
    )
    page.fill("#id_reason", "The interviewer is ill.")
    page.get_by_role("button", name="Cancel interviews").click()
    page.wait_for_load_state()

    # then they are back on the loop, the must-have flagged at once in the coverage
    expect(page).to_have_url(f"{live_server.url}/admin/hiring/loop/{loop.pk}/change/")
    expect(page.locator(".messagelist")).to_contain_text(
        "No interview covers the must-have dimension “Product strategy”"
    )
    expect(page.locator("#must-have-missing")).to_contain_text("“Product strategy”")
    expect(page.locator("#schedule tbody tr").first).to_contain_text("Cancelled")
    strategy.refresh_from_db()
    assert strategy.status == Interview.Status.CANCELLED
    event = AuditEvent.objects.get(action="interview.cancelled", object_id=str(strategy.pk))
    assert event.after == {"status": "cancelled", "reason": "The interviewer is ill."}
    shoot(page, screenshots / "recruiter-loop-must-have-lost-1280.png", 1280)

    # when the candidate withdraws: the page says what will happen, and wants a reason
    page.get_by_role("button", name="Withdraw candidate…").click()
    page.wait_for_load_state()
    expect(page.locator("#confirm-summary")).to_contain_text(
        "Withdraws 1 loop, cancels 3 interviews"
    )
    assert_no_axe_violations(page, where="withdraw confirmation")
    shoot(page, screenshots / "recruiter-loop-withdraw-confirm-1280.png", 1280)
    page.evaluate("document.getElementById('id_reason').removeAttribute('required')")
    page.get_by_role("button", name="Withdraw").click()  # blank: refused, nothing changes
    page.wait_for_load_state()
    expect(page.locator("#reason-error")).to_be_visible()
    loop.refresh_from_db()
    assert loop.status != Loop.Status.WITHDRAWN
    page.fill("#id_reason", "Accepted another offer.")
    page.get_by_role("button", name="Withdraw").click()
    page.wait_for_load_state()

    # then the loop is withdrawn, every interview still to come cancelled, the reason kept
    loop.refresh_from_db()
    assert loop.status == Loop.Status.WITHDRAWN
    assert not loop.interviews.filter(status=Interview.Status.SCHEDULED).exists()
    assert AuditEvent.objects.filter(
        action="loop.stage_changed", after__reason="Accepted another offer."
    ).exists()
    assert csp_page.violations == []
