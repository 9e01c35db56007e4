"""An interviewer, end to end in a real browser: e-mail link → kit → draft → reload →
refused submit → fixed submit → read-only scorecard with colleagues' now visible."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hiring.models import OutboxEvent
from scorecards import services
from scorecards.magic_links import magic_link_url
from scorecards.models import ScorecardRevision
from tests.scorecards.test_services import full_content

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

COLLEAGUE_EVIDENCE = "Jonas saw a crisp coaching plan for the conflicted PM"


def dimension(page, name):
    return page.get_by_role("group", name=re.compile(rf"^{re.escape(name)}"))


def shoot(page, path, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(path), full_page=True)


def test_interviewer_from_email_link_to_submitted_scorecard(
    csp_page, live_server, settings, screenshots, world, interviewer, other_interviewer
):
    # given a kit with a case exercise and a colleague who has already submitted
    settings.SITE_URL = live_server.url
    profile = world.requisition.profile
    world.interview.case_exercise = profile.case_exercises.get(slug="portfolio-strategy-case")
    world.interview.save(update_fields=["case_exercise"])
    candidate = world.loop.candidate
    candidate.current_title, candidate.current_company = "Director of Product", "Acme Payments"
    candidate.save(update_fields=["current_title", "current_company"])
    theirs = services.scorecard_get_or_create(
        interview=world.other_interview, interviewer=other_interviewer
    )
    content = full_content(world.other_interview, key_takeaways=COLLEAGUE_EVIDENCE)
    services.scorecard_submit(scorecard=theirs, by=other_interviewer, content=content)
    page = csp_page.page

    # when the interviewer opens the link from their e-mail, they land on the kit
    page.goto(magic_link_url(interview=world.interview, interviewer=interviewer))
    expect(page).to_have_url(re.compile(rf"/interviews/{world.interview.pk}/kit/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Interview kit")
    expect(page.get_by_text("Director of Product at Acme Payments")).to_be_visible()
    expect(page.get_by_text("The brief (what the candidate is given)")).to_be_visible()
    assert COLLEAGUE_EVIDENCE not in page.content()
    shoot(page, screenshots / "kit-desktop.png", 1280)
    shoot(page, screenshots / "kit-375.png", 375)
    page.set_viewport_size({"width": 1280, "height": 900})

    # they open the scorecard and fill part of it; the draft saves itself
    page.get_by_role("link", name="Write the scorecard").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Scorecard")
    assert COLLEAGUE_EVIDENCE not in page.content()  # blind until submitted
    strategy = dimension(page, "Product strategy")
    strategy.get_by_label("3 · Meets bar").check()
    strategy.get_by_label("Evidence").fill("Clear ICP and three coherent pillars.")
    communication = dimension(page, "Communication")
    communication.get_by_label("Evidence").fill("Structured, calm readout under questioning.")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at", timeout=10_000)
    shoot(page, screenshots / "form-desktop.png", 1280)
    shoot(page, screenshots / "form-375.png", 375)
    page.set_viewport_size({"width": 1280, "height": 900})

    # a reload restores the draft from the database
    page.reload()
    strategy = dimension(page, "Product strategy")
    communication = dimension(page, "Communication")
    expect(strategy.get_by_label("3 · Meets bar")).to_be_checked()
    expect(strategy.get_by_label("Evidence")).to_have_value("Clear ICP and three coherent pillars.")
    expect(communication.get_by_label("Evidence")).to_have_value(
        "Structured, calm readout under questioning."
    )

    # submitting with a rating missing shows the error next to it, and keeps the text
    page.get_by_role("group", name="Overall recommendation").get_by_label("Yes", exact=True).check()
    page.get_by_label("Key takeaways").fill("Would hire; probe people leadership.")
    page.get_by_role("button", name="Submit scorecard").click()
    communication = dimension(page, "Communication")
    expect(communication.locator(".field-error")).to_have_text(
        "Error: Rate Communication or mark it as not assessed."
    )
    expect(page.locator("#error-summary")).to_be_focused()
    expect(communication.get_by_label("Evidence")).to_have_value(
        "Structured, calm readout under questioning."
    )
    expect(page.get_by_label("Key takeaways")).to_have_value("Would hire; probe people leadership.")
    shoot(page, screenshots / "form-errors-375.png", 375)
    page.set_viewport_size({"width": 1280, "height": 900})

    # they fix it and submit (a double click still makes one submission)
    communication.get_by_label("4 · Excellent").check()
    page.get_by_role("button", name="Submit scorecard").dblclick()

    # then the scorecard is read-only, and the colleague's is now visible
    expect(page.get_by_text("Scorecard submitted.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Your scorecard"))).to_be_visible()
    expect(page.locator("textarea")).to_have_count(0)
    expect(page.get_by_text(COLLEAGUE_EVIDENCE)).to_be_visible()
    expect(page.get_by_role("button", name="Amend this scorecard")).to_be_visible()
    shoot(page, screenshots / "submitted-desktop.png", 1280)
    shoot(page, screenshots / "submitted-375.png", 375)

    revisions = ScorecardRevision.objects.filter(scorecard__interviewer=interviewer)
    assert [(r.number, r.is_current) for r in revisions] == [(1, True)]
    assert OutboxEvent.objects.filter(topic="scorecard.submitted").count() == 2  # theirs, mine
    assert csp_page.violations == []
