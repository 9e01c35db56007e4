"""Issue 18, pipeline analytics in a real browser under the strict CSP: the recruiter goes from
the home page to the requisitions and opens one; its charts render as labelled SVG marks
(every bar segment and time-in-stage bar names its figures), the pass-through and
recommendation tables read right, the page passes axe, and screenshots are saved. An
interviewer on the panel gets a 404."""

from __future__ import annotations

import pytest
import time_machine
from playwright.sync_api import expect

from tests.browser.axe import axe_violations, format_violations
from tests.browser.test_manager_flow import sign_in
from tests.scorecards.pipeline_world import (
    NOW,
    Pipeline,
    pipeline_fixture,  # noqa: F401 (the fixture)
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_recruiter_reads_a_requisitions_pipeline_charts(
    csp_page, live_server, screenshots, pipeline: Pipeline, recruiter
):
    page = csp_page.page
    base = live_server.url
    with time_machine.travel(NOW):
        sign_in(page, base, recruiter.username)
        page.get_by_role("link", name="Pipeline analytics of your requisitions").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline analytics")
        row = page.locator(f'tr[data-requisition="{pipeline.requisition.pk}"]')
        expect(row).to_contain_text("6.0 d · 6.8 d")
        page.screenshot(path=str(screenshots / "pipeline-requisitions.png"), full_page=True)
        row.get_by_role("link", name=pipeline.requisition.title).click()

        expect(page.get_by_role("heading", level=1)).to_contain_text("pipeline analytics")
        stages = page.locator("svg#stages")
        expect(stages).to_have_attribute("role", "img")
        expect(stages.locator("title").first).to_have_text("Loops by stage over time")
        # each stacked segment names its week, stage and count, and prints the count
        segment = stages.locator("g.segment.stage-decided").first
        expect(segment.locator("title")).to_have_text("Week of 9 Nov: 2 decided")
        expect(segment.locator("text")).to_have_text("2")
        expect(stages.locator("text.total").first).to_have_text("2")
        # the time-in-stage bars print median, 90th percentile and n
        times = page.locator("svg#time-in-stage")
        expect(times).to_contain_text("median 4.5 d, 90th percentile 6.5 d · n=2")
        expect(times.locator("g.bar")).to_have_count(3)  # awaiting feedback: no stays
        expect(page.locator("#to-decision")).to_contain_text("median 6.0 days")
        expect(page.locator("table.pass-through tbody tr").first).to_contain_text("1 (33%)")
        expect(page.locator('tr[data-recommended="hire"] td')).to_have_text(
            ["1", "1"], use_inner_text=True
        )
        expect(page.locator("#against")).to_contain_text("1 of 2")
        page.wait_for_load_state("load")
        violations = axe_violations(page)
        assert not violations, format_violations(violations)
        assert csp_page.violations == []
        page.screenshot(path=str(screenshots / "pipeline-requisition.png"), full_page=True)
        stages.screenshot(path=str(screenshots / "pipeline-stages-chart.png"))
        # on a phone the charts scroll sideways in regions a keyboard can reach
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.get_by_role("region", name="Chart: loops by stage over time")).to_be_visible()
        violations = axe_violations(page)
        assert not violations, format_violations(violations)
        # each figure says what it is when the table's headers are hidden
        expect(page.locator('tr[data-recommended="hire"] td').nth(1)).to_have_text(
            "Not hired: 1", use_inner_text=True
        )
        page.screenshot(path=str(screenshots / "pipeline-requisition-phone.png"), full_page=True)

        # an interviewer on the panel gets nothing
        page.context.clear_cookies()
        panelist = pipeline.panelist
        panelist.set_password("pw")
        panelist.save()
        sign_in(page, base, panelist.username)
        response = page.goto(f"{base}/insight/requisitions/{pipeline.requisition.pk}/")
        assert response is not None
        assert response.status == 404
        expect(page.locator("svg#stages")).to_have_count(0)
