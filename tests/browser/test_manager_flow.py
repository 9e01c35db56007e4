"""A hiring manager, end to end in a real browser: home → pipeline → a complete loop's
calibrated summary (SVG chart, reasons, corrections) → compare → record a decision; and a
partial loop showing its partial state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hiring.models import Decision
from scorecards.calibration import summaries
from tests.factories import InterviewFactory, LoopFactory, UserFactory
from tests.scorecards.test_summaries import submit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_hiring_manager_reviews_compares_and_decides(
    csp_page, live_server, screenshots, world, hiring_manager, interviewer, other_interviewer
):
    # given a complete loop, and a second candidate whose loop is still partial
    submit(world.interview, interviewer, rating=3)
    submit(world.other_interview, other_interviewer, rating=4)
    summaries.calibration_refit()
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    partial = LoopFactory(requisition=world.requisition)
    for index in range(3):
        person = UserFactory(username=f"panel{index}")
        interview = InterviewFactory(
            loop=partial, interviewers=[person], focus=["product-strategy", "communication"]
        )
        if index == 0:
            submit(interview, person, rating=2)
    summaries.loop_summary_compute(loop_id=partial.pk)
    page = csp_page.page
    base = live_server.url

    # when the hiring manager signs in and follows the pipeline link from home
    sign_in(page, base, hiring_manager.username)
    page.get_by_role("link", name=re.compile("Requisitions you manage")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your requisitions")
    expect(page.get_by_role("rowheader", name=re.compile(world.requisition.title))).to_be_visible()
    expect(page.get_by_text("2 of 2 in")).to_be_visible()

    # the complete loop's summary shows its working
    page.get_by_role("link", name=world.loop.candidate.full_name).click()
    expect(
        page.get_by_role("heading", level=2, name=re.compile("^Recommendation: "))
    ).to_be_visible()
    expect(page.locator("svg.heatmap")).to_be_visible()
    expect(page.locator("svg.scores")).to_be_visible()
    expect(page.locator("svg.heatmap .cell-value").first).to_have_text(re.compile(r"^[1-4]$"))
    expect(page.locator("ul.reasons li").first).to_be_visible()
    expect(page.get_by_role("columnheader", name="Leniency correction applied")).to_be_visible()
    expect(page.get_by_role("rowheader", name=interviewer.display_name)).to_be_visible()
    expect(page.get_by_text("Partial:")).to_have_count(0)
    page.screenshot(path=str(screenshots / "manager-summary.png"), full_page=True)

    # compare the requisition's candidates side by side
    page.get_by_role("link", name=re.compile("Compare candidates")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Compare candidates")
    expect(page.get_by_role("columnheader", name=partial.candidate.full_name)).to_be_visible()
    expect(page.get_by_text("Partial: 1 of 3 scorecards")).to_be_visible()
    page.screenshot(path=str(screenshots / "manager-compare.png"), full_page=True)

    # the partial loop shows its partial state
    page.get_by_role("link", name=partial.candidate.full_name).click()
    expect(page.locator("#partial-note")).to_contain_text("Partial: 1 of 3 scorecards")
    expect(page.get_by_role("heading", name="Recommendation: Incomplete")).to_be_visible()
    page.screenshot(path=str(screenshots / "manager-summary-partial.png"), full_page=True)

    # back on the complete loop, a decision without a rationale is refused in words
    page.goto(f"{base}/manager/loops/{world.loop.pk}/")
    page.get_by_label("Hire", exact=True).check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Write the rationale")

    # then recorded with one
    page.get_by_label("Hire", exact=True).check()
    page.get_by_label("Rationale").fill("Strong strategy and leadership; clears the bar.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    expect(page.locator("ul.decisions li.current")).to_contain_text("Strong strategy")
    decision = Decision.objects.get(loop=world.loop, is_current=True)
    assert decision.decided_by == hiring_manager
    assert decision.outcome == "hire"
    assert csp_page.violations == []
