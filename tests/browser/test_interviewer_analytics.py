"""Issue 18, interviewer analytics in a real browser: the recruiter opens the table from the
home page, sorts it, opens one interviewer's page with the leniency trend and the
time-to-feedback chart; the interviewer opens their own page from the home page. Each page is
checked with axe under the strict CSP, and screenshots are saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scorecards.calibration import summaries
from scorecards.models import CalibrationRun
from tests.browser.axe import axe_violations, format_violations
from tests.browser.test_manager_flow import sign_in
from tests.scorecards.interviewer_world import (  # noqa: F401 (the fixtures)
    history_fixture,
    req_a_fixture,
    req_b_fixture,
    rob_fixture,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def accessible(page, name: str) -> None:
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    assert not violations, f"{name}:\n{format_violations(violations)}"


def test_recruiter_and_interviewer_read_the_interviewer_analytics(
    csp_page, live_server, screenshots, recruiter, interviewer, other_interviewer, history
):
    # given a few refits a week apart, so the trend has points
    for days in (21, 14, 7):
        run = summaries.calibration_refit()
        CalibrationRun.objects.filter(pk=run.pk).update(
            fitted_at=timezone.now() - timedelta(days=days)
        )
    page = csp_page.page
    base = live_server.url

    # when the recruiter follows the home page's link to the table
    sign_in(page, base, recruiter.username)
    page.goto(f"{base}/")
    page.get_by_role("link", name="Interviewer analytics").click()

    # then both interviewers of their requisition are listed, with counts beside each figure
    expect(page.get_by_role("heading", level=1)).to_contain_text("Interviewer analytics")
    table = page.locator("table.interviewers")
    expect(table.locator("tbody tr")).to_have_count(2)
    iris = table.locator(f'tr[data-interviewer="{interviewer.pk}"]')
    expect(iris).to_contain_text("3.0 h")  # median of 1 h and 5 h
    expect(iris).to_contain_text("(n=2)")
    # and the per-dimension agreement chart is drawn with its values
    chart = page.locator("svg#reliability")
    expect(chart).to_be_visible()
    expect(chart.locator("text.row-label").first).to_be_visible()
    accessible(page, "interviewer table")
    page.screenshot(path=str(screenshots / "insight-interviewers.png"), full_page=True)

    # when they sort by the slowest 90th percentile, jonas (30 h) comes first
    page.get_by_label("Sort by").select_option("-p90")
    page.get_by_role("button", name="Apply").click()
    expect(table.locator("tbody tr").first).to_have_attribute(
        "data-interviewer", str(other_interviewer.pk)
    )

    # when they open iris's page
    page.get_by_role("link", name=interviewer.get_full_name() or interviewer.email).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        interviewer.get_full_name() or interviewer.email
    )
    trend = page.locator("svg#leniency-trend")
    expect(trend).to_be_visible()
    expect(trend.locator("g.point")).to_have_count(4)  # the history's first refit and three
    expect(trend.locator("text.point-value")).to_have_count(4)
    expect(trend.locator("polygon.band")).to_have_count(1)
    feedback = page.locator("svg#feedback-times")
    expect(feedback.locator("rect.bar")).to_have_count(7)
    expect(feedback.locator("text.bar-value")).to_have_text(["0", "1", "1", "0", "0", "0", "0"])
    accessible(page, "interviewer page")
    page.screenshot(path=str(screenshots / "insight-interviewer.png"), full_page=True)

    # when iris signs in, the home page links her to her own page, and only that
    page.context.clear_cookies()
    sign_in(page, base, interviewer.username)
    page.goto(f"{base}/")
    page.get_by_role("link", name="Your feedback as an interviewer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your feedback as an interviewer")
    expect(page.locator("#figures")).to_contain_text("Scorecards written")
    expect(page.locator("#figures")).not_to_contain_text("Agrees with the decision")
    accessible(page, "own page")
    page.screenshot(path=str(screenshots / "insight-own.png"), full_page=True)
    response = page.goto(f"{base}/insight/interviewers/{other_interviewer.pk}/")
    assert response is not None
    assert response.status == 404

    assert not csp_page.violations, csp_page.violations
