"""Issue 18, predictive validity in a real browser under the strict CSP: the recruiter picks the
role profile and reads the caution, the dot-and-whisker chart (every dot names its
correlation, interval and hires; the zero line is drawn), the weights table and the
interviewers; the page passes axe and screenshots are saved. An interviewer on the panel gets
a 404 and no figure."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.axe import axe_violations, format_violations
from tests.browser.test_manager_flow import sign_in
from tests.scorecards.validity_world import (
    History,
    history_fixture,  # noqa: F401 (the fixture)
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_recruiter_reads_the_validity_chart_and_weights(
    csp_page, live_server, screenshots, history: History
):
    page = csp_page.page
    base = live_server.url
    sign_in(page, base, history.recruiter.username)
    page.get_by_role("link", name="Predictive validity").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Predictive validity")
    page.get_by_label("Role profile").select_option(str(history.profile.pk))
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(history.profile.name)
    expect(page.locator("#range-restriction")).to_contain_text("Only hires have outcomes")
    expect(page.locator("#hire-counts")).to_contain_text("18 with an outcome recorded")

    chart = page.locator("svg#validity")
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator("title").first).to_have_text("How well each score predicted the outcome")
    expect(chart.locator("line.zero-line")).to_have_count(1)
    overall = chart.locator("circle.validity-mark").first
    expect(overall.locator("title")).to_contain_text("Calibrated overall: ")
    expect(overall.locator("title")).to_contain_text("n = 18")
    # Dimensions nobody rated print "withheld" with their n, not a dot.
    expect(chart.locator("text.withheld").first).to_contain_text("withheld · n = 0")
    expect(chart.locator("text.value").first).to_contain_text("· n = 18")

    weights = page.locator("table.validity-weights")
    expect(weights.locator("tbody tr")).to_have_count(1 + history.profile.dimensions.count())
    expect(weights).to_contain_text("Predicts the outcome")
    people = page.locator("table.validity-interviewers tbody tr")
    expect(people).to_have_count(2)
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    assert not violations, format_violations(violations)
    assert csp_page.violations == []
    page.screenshot(path=str(screenshots / "validity.png"), full_page=True)
    chart.screenshot(path=str(screenshots / "validity-chart.png"))

    # an interviewer on the panel gets nothing
    page.context.clear_cookies()
    sign_in(page, base, history.panel[0].username)
    response = page.goto(f"{base}/insight/validity/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("svg#validity")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("outcome recorded")
