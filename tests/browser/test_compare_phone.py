"""The hiring manager compares candidates on a phone (issue 15): at 390 px the comparison fits
the screen (no sideways scrolling) and every value says whose it is; choosing whom to compare
works there too. Screenshots at 390 and 1280 px are kept as artifacts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import scored_loop
from tests.browser.test_manager_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_compare_on_a_phone_keeps_every_name_in_view(
    chromium, live_server, screenshots, world, hiring_manager
):
    names = ["Grace Hopper", "Katherine Johnson", "Margaret Hamilton"]
    loops = [scored_loop(world.requisition, n, r) for n, r in zip(names, (4, 3, 2), strict=True)]
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, hiring_manager.username)

    page.goto(f"{live_server.url}/manager/requisitions/{world.requisition.pk}/compare/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Compare candidates")

    # no sideways scrolling, and each candidate's name stands above their values
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    assert overflow <= 0
    table = page.get_by_role("table", name="Candidates side by side")
    for name in names:
        labels = table.locator(".who", has_text=name)
        assert labels.count() >= 10  # one per row of the comparison
        expect(labels.first).to_be_visible()
        box = labels.first.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    page.screenshot(path=str(screenshots / "manager-compare-390.png"), full_page=True)

    # choosing two candidates works on the phone too
    page.get_by_label(names[2]).check()
    page.get_by_label(names[0]).check()
    page.get_by_role("button", name="Compare the ticked candidates").click()
    shown = table.locator("thead th[scope=col]")
    expect(shown).to_have_count(3)  # the dimension column and the two chosen
    expect(table.locator(".who", has_text=names[1])).to_have_count(0)
    expect(table.locator(".who", has_text=names[2]).first).to_be_visible()
    assert {loop.candidate.full_name for loop in loops} == set(names)

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(table.locator(".who").first).to_be_hidden()  # the header names them on a wide screen
    expect(table.get_by_role("columnheader", name=names[0])).to_be_visible()
    page.screenshot(path=str(screenshots / "manager-compare-1280.png"), full_page=True)
    context.close()
