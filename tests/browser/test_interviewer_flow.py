"""An interviewer, end to end in a real browser: e-mail link → kit → draft → reload →
refused submit → fixed submit → read-only scorecard with colleagues' now visible."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hiring.models import Interview, OutboxEvent
from scorecards import services
from scorecards.magic_links import magic_link_url
from scorecards.models import ScorecardRevision
from tests.browser.axe import axe_violations
from tests.factories import InterviewFactory, LoopFactory
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


def serious_axe(page) -> list[str]:
    found = axe_violations(page)
    return [f"{v['id']} ({v['impact']})" for v in found if v["impact"] in ("critical", "serious")]


def test_interviewer_waits_for_the_start_reads_a_cancelled_kit_and_finds_what_they_wrote(
    csp_page, live_server, screenshots, world, interviewer
):
    # given an interview tomorrow, a cancelled one, and a scorecard written last week
    tomorrow = world.interview
    tomorrow.starts_at = timezone.now() + timedelta(days=1)
    tomorrow.ends_at = tomorrow.starts_at + timedelta(hours=1)
    tomorrow.save(update_fields=["starts_at", "ends_at"])
    cancelled = InterviewFactory(loop=world.loop, title="Case debrief", interviewers=[interviewer])
    Interview.objects.filter(pk=cancelled.pk).update(status=Interview.Status.CANCELLED)
    written = InterviewFactory(
        loop=LoopFactory(candidate__full_name="Grace Okafor"),
        title="Leadership scenario",
        interviewers=[interviewer],
    )
    earlier = services.scorecard_get_or_create(interview=written, interviewer=interviewer)
    services.scorecard_submit(
        scorecard=earlier,
        by=interviewer,
        content=full_content(written, overall_recommendation="strong_yes"),
    )
    page = csp_page.page
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(interviewer.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()

    # the scorecard of tomorrow's interview takes notes but offers no submission yet
    page.goto(f"{base}/interviews/{tomorrow.pk}/kit/")
    page.get_by_role("link", name="Take notes for the scorecard").first.click()
    expect(page.get_by_role("status").filter(has_text="This interview starts at")).to_contain_text(
        "submit your scorecard after it has begun."
    )
    expect(page.get_by_role("button", name="Save draft")).to_be_visible()
    expect(page.get_by_role("button", name="Submit scorecard")).to_have_count(0)
    page.get_by_label("Key takeaways").fill("Questions to ask about pricing.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved at")).to_be_visible()
    assert serious_axe(page) == []

    # the cancelled interview's kit is read-only: a notice, no way to the scorecard
    page.goto(f"{base}/interviews/{cancelled.pk}/kit/")
    expect(page.get_by_role("status").filter(has_text="This interview was cancelled")).to_have_text(
        "This interview was cancelled: its scorecard is read-only."
    )
    expect(page.get_by_role("link", name=re.compile("scorecard", re.I))).to_have_count(0)
    expect(page.locator("main button")).to_have_count(0)
    shoot(page, screenshots / "kit-cancelled-desktop.png", 1280)
    assert serious_axe(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})

    # the "Written" tab lists the submitted scorecard, in words, with its revisions
    page.goto(f"{base}/interviews/")
    page.get_by_role("link", name="Written", exact=True).click()
    expect(page).to_have_url(re.compile(r"/interviews/\?tab=written$"))
    row = page.get_by_role("row", name=re.compile("Grace Okafor"))
    expect(row).to_contain_text("Leadership scenario")
    expect(row).to_contain_text("Strong yes")
    expect(page.get_by_role("row")).to_have_count(2)  # the header and the one written
    shoot(page, screenshots / "written-desktop.png", 1280)
    shoot(page, screenshots / "written-390.png", 390)
    assert serious_axe(page) == []
    row.get_by_role("link", name=re.compile("1 revision")).click()
    expect(page.get_by_role("heading", name=re.compile("Your scorecard"))).to_be_visible()
    assert csp_page.violations == []
