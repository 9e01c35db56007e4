"""Issue 18, end to end in a real browser: the recruiter schedules the debrief from a loop that
is ready for it, the panel discusses it on the summary page (a panelist who is also one of the
requisition's recruiters: plain interviewers never read the summary), and the hiring manager
records the decision with the debrief's outcome and who attended. Every page is checked with
axe under the strict CSP, and screenshots are saved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hiring.models import Debrief, DebriefOutcome, Decision, Notification
from scorecards.calibration import summaries
from scorecards.services import loop_refresh_status
from tests.browser.axe import axe_violations, format_violations
from tests.browser.test_manager_flow import sign_in
from tests.scorecards.test_summaries import submit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def accessible(page, name: str) -> None:
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    assert not violations, f"{name}:\n{format_violations(violations)}"


def switch_to(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, base, username)


def test_recruiter_schedules_the_panel_discusses_and_the_manager_decides(
    csp_page,
    live_server,
    screenshots,
    world,
    recruiter,
    hiring_manager,
    interviewer,
    other_interviewer,
):
    # given a loop whose scorecards are all in (one panelist also recruits for the role)
    world.requisition.recruiters.add(interviewer)
    submit(world.interview, interviewer, rating=3)
    submit(world.other_interview, other_interviewer, rating=4)
    summaries.calibration_refit()
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    loop_refresh_status(loop_id=world.loop.pk)
    page = csp_page.page
    base = live_server.url

    # when the recruiter opens the loop in the admin and schedules the debrief
    sign_in(page, base, recruiter.username)
    page.goto(f"{base}/admin/hiring/loop/{world.loop.pk}/change/")
    page.get_by_role("link", name="Schedule the debrief").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Debrief")
    accessible(page, "debrief form")
    page.get_by_label("Day").fill("2031-12-04")
    page.get_by_label("Starts at").fill("15:00")
    page.get_by_label("Length (minutes)").fill("30")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Room").fill("Harbour room")
    page.screenshot(path=str(screenshots / "debrief-schedule.png"), full_page=True)
    page.get_by_role("button", name="Schedule the debrief").click()

    # then the loop page shows it, and the panel and the manager each have an invite
    expect(page.locator("#debrief-scheduled")).to_contain_text(
        "Thursday 04 December 2031, 15:00 (Europe/London)"
    )
    expect(page.locator("#debrief-scheduled")).to_contain_text("Harbour room")
    page.locator("#debrief").screenshot(path=str(screenshots / "debrief-loop-page.png"))
    debrief = Debrief.objects.get()
    invited = set(
        Notification.objects.filter(reason="debrief.invite", object_id=debrief.pk).values_list(
            "recipient__username", flat=True
        )
    )
    assert invited == {interviewer.username, other_interviewer.username, hiring_manager.username}

    # when the recruiter opens the discussion on the summary page and mentions the manager
    page.goto(f"{base}/manager/loops/{world.loop.pk}/")
    expect(page.locator("#debrief-meeting")).to_contain_text("Harbour room")
    page.get_by_label("Your comment").fill(f"@{other_interviewer.username} what did you see?")
    page.get_by_role("button", name="Post comment").click()
    # someone who may not read the summary cannot be mentioned, and the form says so
    expect(page.get_by_role("alert")).to_contain_text("cannot be mentioned")
    page.get_by_label("Your comment").fill(
        f"@{hiring_manager.username} the panel split on strategy: worth the debrief."
    )
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#thread li")).to_have_count(1)

    # and the panelist adds theirs, newest last
    switch_to(page, base, interviewer.username)
    page.goto(f"{base}/manager/loops/{world.loop.pk}/")
    page.get_by_label("Your comment").fill("My notes back the strategy score: see evidence.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#thread li")).to_have_count(2)
    expect(page.locator("#thread li").last).to_contain_text("My notes back the strategy score")
    accessible(page, "summary with the discussion")
    page.locator("section.debrief").screenshot(path=str(screenshots / "debrief-thread.png"))

    # when the hiring manager records the decision with the debrief's outcome
    switch_to(page, base, hiring_manager.username)
    page.goto(f"{base}/manager/loops/{world.loop.pk}/")
    expect(page.locator("#thread li").first).to_contain_text("the panel split on strategy")
    page.get_by_label("Hire", exact=True).check()
    page.get_by_label("Debrief held").check()
    page.get_by_label(interviewer.display_name).check()
    page.get_by_label(hiring_manager.display_name).check()
    page.get_by_label("Rationale").fill("The debrief settled the strategy question.")
    page.screenshot(path=str(screenshots / "debrief-decision-form.png"), full_page=True)
    page.get_by_role("button", name="Record decision").click()

    # then the decision shows the debrief and who attended, as recorded
    expect(page.locator(".debrief-outcome")).to_have_text(
        re.compile(rf"Debrief held: attended by .*{re.escape(interviewer.display_name)}")
    )
    accessible(page, "summary after the decision")
    page.locator("section[aria-labelledby=decision-heading]").screenshot(
        path=str(screenshots / "debrief-decided.png")
    )
    decision = Decision.objects.get(loop=world.loop, is_current=True)
    record = DebriefOutcome.objects.get(decision=decision)
    assert set(record.attendees.values_list("username", flat=True)) == {
        interviewer.username,
        hiring_manager.username,
    }
    assert not csp_page.violations, csp_page.violations
