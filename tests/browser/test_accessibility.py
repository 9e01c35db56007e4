"""axe-core on every page a recruiter, interviewer or hiring manager uses (issue 15): none
may have a critical or serious violation. Each walk visits its pages in turn and reports
every page's violations together, rule by rule with the failing nodes' selectors, so one
run shows all that is left to fix. See tests/browser/axe.py for how axe is run."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from hiring.models import Loop
from hiring.roles import RECRUITERS_GROUP
from scorecards import services
from scorecards.calibration import summaries
from scorecards.magic_links import magic_link_url
from tests.browser.axe import AxeViolation, axe_violations, format_violations
from tests.browser.test_manager_flow import sign_in
from tests.factories import InterviewFactory, LoopFactory, UserFactory
from tests.scorecards.test_services import full_content
from tests.scorecards.test_summaries import submit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FOCUS = ["product-strategy", "communication", "people-leadership"]


@dataclass
class Audit:
    """The critical and serious axe violations of each page visited, by page."""

    page: Any
    found: dict[str, list[AxeViolation]] = field(default_factory=dict)

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        self.found[name] = axe_violations(self.page)

    def report(self) -> str:
        return "\n\n".join(
            f"{name} ({len(violations)} rules):\n{format_violations(violations)}"
            for name, violations in self.found.items()
            if violations
        )

    def assert_clean(self) -> None:
        assert self.found, "no page was checked"
        if any(self.found.values()):
            pytest.fail("axe violations:\n\n" + self.report(), pytrace=False)


def scored_loop(requisition: Any, name: str, rating: int) -> Loop:
    loop = LoopFactory(requisition=requisition, candidate__full_name=name)
    for index in range(2):
        person = UserFactory(username=f"{name.split()[0].lower()}-panel{index}")
        interview = InterviewFactory(loop=loop, interviewers=[person], focus=FOCUS)
        submit(interview, person, rating=rating)
    summaries.loop_summary_compute(loop_id=loop.pk)
    return loop


def test_interviewer_pages_have_no_serious_axe_violations(
    csp_page, live_server, settings, world, interviewer, other_interviewer
):
    settings.SITE_URL = live_server.url
    profile = world.requisition.profile
    world.interview.case_exercise = profile.case_exercises.get(slug="portfolio-strategy-case")
    world.interview.save(update_fields=["case_exercise"])
    # the colleague has submitted, so the interviewer's submitted page lists their scorecard
    theirs = services.scorecard_get_or_create(
        interview=world.other_interview, interviewer=other_interviewer
    )
    services.scorecard_submit(
        scorecard=theirs, by=other_interviewer, content=full_content(world.other_interview)
    )
    page = csp_page.page
    base = live_server.url
    audit = Audit(page)

    page.goto(f"{base}/login/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    audit.check("login")
    settings.AXES_FAILURE_LIMIT = 2  # a stranger's name: nobody below is locked out
    for _ in range(2):
        page.get_by_label("Username").fill("stranger")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
        audit.check("login (refused)")
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed sign-in attempts")
    audit.check("login (locked out)")

    page.goto(f"{base}/interviews/{world.interview.pk}/link/?sesame=not-a-token")
    audit.check("magic link: invalid")

    # the e-mail link signs in to the kit only
    page.goto(magic_link_url(interview=world.interview, interviewer=interviewer))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Interview kit")
    audit.check("kit (from the e-mail link)")

    page.goto(f"{base}/interviews/{world.interview.pk}/scorecard/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Scorecard")
    audit.check("scorecard form (magic link)")

    # signed in properly: home, the interview list, kit, draft, errors, submitted
    sign_in(page, base, interviewer.username)
    audit.check("home (interviewer)")
    page.goto(f"{base}/interviews/")
    audit.check("my interviews")
    page.goto(f"{base}/interviews/{world.interview.pk}/kit/")
    audit.check("kit")
    page.goto(f"{base}/interviews/{world.interview.pk}/scorecard/")
    strategy = page.get_by_role("group", name=re.compile("^Product strategy"))
    strategy.get_by_label("3 · Meets bar").check()
    strategy.get_by_label("Evidence").fill("Clear ICP and three coherent pillars.")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at")
    audit.check("scorecard form (draft)")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: colours and names hold
    audit.check("scorecard form (draft, 390 px)")
    page.goto(f"{base}/interviews/{world.interview.pk}/kit/")
    audit.check("kit (390 px)")
    page.goto(f"{base}/interviews/")
    audit.check("my interviews (390 px)")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/interviews/{world.interview.pk}/scorecard/")
    page.get_by_role("group", name="Overall recommendation").get_by_label("Yes", exact=True).check()
    page.get_by_label("Key takeaways").fill("Would hire; probe people leadership.")
    page.get_by_role("button", name="Submit scorecard").click()
    expect(page.locator("#error-summary")).to_be_focused()
    audit.check("scorecard form (errors)")
    communication = page.get_by_role("group", name=re.compile("^Communication"))
    communication.get_by_label("4 · Excellent").check()
    communication.get_by_label("Evidence").fill("Structured, calm readout.")
    page.get_by_role("button", name="Submit scorecard").click()
    expect(page.get_by_text("Scorecard submitted.")).to_be_visible()
    audit.check("scorecard (submitted)")
    page.get_by_role("button", name="Amend this scorecard").click()
    expect(page.get_by_role("button", name=re.compile("Submit"))).to_be_visible()
    audit.check("scorecard form (amendment)")
    page.goto(f"{base}/interviews/")
    audit.check("my interviews (after submitting)")

    # the colleague's scorecard on its own page, now that the blind rule allows it
    page.goto(f"{base}/scorecards/{theirs.pk}/")
    audit.check("scorecard detail (a colleague's)")

    # a link of the colleague's opened while signed in as this interviewer
    page.goto(magic_link_url(interview=world.other_interview, interviewer=other_interviewer))
    audit.check("magic link: another person's")

    audit.assert_clean()
    assert csp_page.violations == []


def test_hiring_manager_pages_have_no_serious_axe_violations(
    csp_page, chromium, live_server, world, hiring_manager, interviewer, other_interviewer
):
    submit(world.interview, interviewer, rating=3)
    submit(world.other_interview, other_interviewer, rating=4)
    summaries.calibration_refit()
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    scored_loop(world.requisition, "Grace Hopper", 4)
    partial = LoopFactory(requisition=world.requisition, candidate__full_name="Ada Lovelace")
    panel = UserFactory(username="partial-panel")
    submit(InterviewFactory(loop=partial, interviewers=[panel], focus=FOCUS), panel, rating=2)
    InterviewFactory(loop=partial, interviewers=[UserFactory(username="owes")], focus=FOCUS)
    summaries.loop_summary_compute(loop_id=partial.pk)
    pending = LoopFactory(requisition=world.requisition, candidate__full_name="Mary Somerville")
    InterviewFactory(loop=pending, interviewers=[interviewer], focus=FOCUS)
    # the hiring manager on a panel, scorecard not written: the blind rule withholds it
    withheld = LoopFactory(requisition=world.requisition, candidate__full_name="Emmy Noether")
    InterviewFactory(loop=withheld, interviewers=[hiring_manager], focus=FOCUS)
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    page = csp_page.page
    base = live_server.url
    audit = Audit(page)

    sign_in(page, base, hiring_manager.username)
    audit.check("home (hiring manager)")
    page.goto(f"{base}/manager/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your requisitions")
    audit.check("pipeline")
    page.goto(f"{base}/manager/loops/{world.loop.pk}/")
    expect(page.locator("svg.heatmap")).to_be_visible()
    audit.check("loop summary (complete)")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("loop summary (decision refused)")
    page.get_by_label("Hire", exact=True).check()
    page.get_by_label("Rationale").fill("Clears the bar on every must-have.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    audit.check("loop summary (decided)")
    page.goto(f"{base}/manager/loops/{partial.pk}/")
    audit.check("loop summary (partial)")
    page.goto(f"{base}/manager/loops/{pending.pk}/")
    audit.check("loop summary (being computed)")
    page.goto(f"{base}/manager/loops/{withheld.pk}/")
    audit.check("loop summary (withheld by the blind rule)")
    page.goto(f"{base}/scorecards/{scorecard.pk}/")
    audit.check("scorecard detail (hiring manager)")
    page.goto(f"{base}/manager/requisitions/{world.requisition.pk}/compare/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Compare candidates")
    audit.check("compare (1280 px)")

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    small = phone.new_page()
    small.set_default_timeout(10_000)
    sign_in(small, base, hiring_manager.username)
    small.goto(f"{base}/manager/requisitions/{world.requisition.pk}/compare/")
    expect(small.get_by_role("heading", level=1)).to_contain_text("Compare candidates")
    audit.page = small
    audit.check("compare (390 px)")
    small.goto(f"{base}/manager/loops/{world.loop.pk}/")
    audit.check("loop summary (390 px)")
    phone.close()

    audit.assert_clean()
    assert csp_page.violations == []


# --- The admin pages a recruiter works in ---------------------------------------------------


@pytest.fixture
def recruiter_in_admin(csp_page, live_server, world, recruiter, interviewer) -> Any:
    """The recruiter signed in to the admin, the world's loop with a submitted scorecard."""
    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    submit(world.interview, interviewer, rating=3)
    page = csp_page.page
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(recruiter.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name=re.compile("Log in|Sign in")).click()
    expect(page).to_have_url(f"{live_server.url}/admin/")
    return page


ADMIN_PAGES = {
    "home (recruiter)": "/",
    "admin index": "/admin/",
    "loop list": "/admin/hiring/loop/",
    "loop change": "/admin/hiring/loop/{loop}/change/",
    "interview change": "/admin/hiring/interview/{interview}/change/",
    "candidate list": "/admin/hiring/candidate/",
    "candidate change": "/admin/hiring/candidate/{candidate}/change/",
}


@pytest.mark.parametrize(
    "name",
    list(ADMIN_PAGES),
)
def test_recruiter_admin_page_has_no_serious_axe_violations(
    recruiter_in_admin, live_server, world, name: str
):
    page = recruiter_in_admin
    path = ADMIN_PAGES[name].format(
        loop=world.loop.pk, interview=world.interview.pk, candidate=world.loop.candidate_id
    )
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None
    assert response.status == 200
    audit = Audit(page)
    audit.check(name)
    audit.assert_clean()
