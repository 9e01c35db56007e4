"""One recruiter's whole journey in one browser session (issue 15, the first "Done when"):
add a candidate, who is in sight at once; import two more from a CSV file; upload the first
one's CV; build her four-interview loop on the compact loop page, one focused interview form
at a time, watching the schedule and the coverage of the role's dimensions grow until no
must-have is left uncovered; then withdraw her, which says what will happen and wants a
reason, and find the reason on her page's activity timeline.

Every page on the way has no critical or serious axe-core violation and reads at 1280 px
without sideways scrolling, and nothing is served without (or blocked by) the strict CSP.
Screenshots at 1280 and 390 px go to artifacts/screenshots/walk-NN-<page>-<width>.png."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hiring.models import Attachment, AuditEvent, Candidate, Interview, Loop
from scorecards.demo import one_page_pdf
from tests.browser.axe import assert_no_axe_violations
from tests.factories import CandidateFactory, LoopFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DAY = datetime(2031, 3, 4)  # a Tuesday, safely in the future; London is on UTC then
CSV = (
    "full_name,email,phone,location,time_zone,current_title,current_company,profile_url,source\n"
    "Ada Lovelace,ada@example.com,,London,Europe/London,CPO,Analytical,,referral\n"
    "Grace Hopper,grace@example.com,,Arlington,America/New_York,VP Product,Navy,,sourced\n"
)
# The VP of Product profile's must-haves are "Product strategy", "People leadership" and
# "Values & judgment": the plan covers the last of them only with the fourth interview.
# Each row: title, start hour in London, the interviewer's first name (none a generated
# name can share, so the autocomplete offers one person), focus dimensions in the profile's
# order (the order the schedule lists them in).
PLAN = [
    ("Strategy", 9, "Irisette", ["Product strategy", "Metrics & analytics"]),
    ("Portfolio", 10, "Jonasz", ["Portfolio prioritization", "Execution & operating model"]),
    ("Leadership", 11, "Kimiko", ["Cross-functional leadership", "People leadership"]),
    ("Values", 13, "Leelou", ["Communication", "Values & judgment"]),
]
MUST_HAVES = ["Product strategy", "People leadership", "Values & judgment"]
REASON = "Accepted another offer."


class Walk:
    """The pages of the walk, numbered in the order they are seen. Each is shot at 1280 and
    390 px (first, so a page that fails leaves its pictures), then checked with axe-core and
    for sideways scrolling at 1280 px."""

    def __init__(self, page: Page, screenshots: Path) -> None:
        self.page = page
        self.screenshots = screenshots
        self.shots: list[str] = []

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        number = len(self.shots) // 2 + 1
        for width in (1280, 390):
            shot = f"walk-{number:02d}-{name}-{width}.png"
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(self.screenshots / shot), full_page=True)
            self.shots.append(shot)
        page.set_viewport_size({"width": 1280, "height": 900})
        assert_no_axe_violations(page, where=name)
        wide = sideways(page)
        assert not wide, f"{name} scrolls sideways at 1280 px: {wide}"


def sideways(page: Page) -> str:
    """What is wider than the window: the page, or the admin's list inside it (its own
    scrolling box), with both widths; "" when nothing is."""
    return str(
        page.evaluate(
            """() => {
                const found = [];
                const page = document.scrollingElement;
                if (page.scrollWidth > page.clientWidth)
                    found.push(`the page (${page.scrollWidth} > ${page.clientWidth} px)`);
                const list = document.querySelector("#changelist .results");
                if (list !== null && list.scrollWidth > list.clientWidth)
                    found.push(`the list (${list.scrollWidth} > ${list.clientWidth} px)`);
                return found.join(", ");
            }"""
        )
    )


def pick(page: Page, select_id: str, text: str) -> None:
    """Choose ``text`` in the autocomplete (select2) widget that stands for the select
    ``select_id``, as a person does: open it, type its first word, wait for the server's
    answer, click it."""
    page.click(f"#{select_id} + .select2 .select2-selection")
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(text.split()[0].lower())
    options = page.locator(".select2-container--open .select2-results__option")
    expect(options).to_have_text([text])
    options.first.click()
    expect(page.locator(f"#{select_id} option:checked")).to_have_text(text)


def open_candidate_list(page: Page) -> None:
    page.get_by_role("navigation", name="Sidebar").get_by_role("link", name="Candidates").click()
    expect(page.locator("#result_list")).to_be_visible()


def fill_interview(page: Page, *, title: str, hour: int, who: str, focus: list[str]) -> None:
    """The focused interview form: title, wall-clock times in London, one interviewer, the
    focus dimensions ticked."""
    day = DAY.strftime("%Y-%m-%d")
    page.fill("#id_title", title)
    page.fill("#id_starts_at_0", day)
    page.fill("#id_starts_at_1", f"{hour:02d}:00:00")
    page.fill("#id_ends_at_0", day)
    page.fill("#id_ends_at_1", f"{hour + 1:02d}:00:00")
    page.fill("#id_time_zone", "Europe/London")
    page.fill("#id_location", f"Room {hour}")
    pick(page, "id_interviewers", who)
    for name in focus:
        page.get_by_label(name, exact=True).check()


def span(hour: int) -> str:
    """An hour-long slot as the schedule writes it: "09:00", an en dash, "10:00"."""
    return f"{hour:02d}:00\u2013{hour + 1:02d}:00"


def test_a_recruiter_walks_from_a_new_candidate_to_her_withdrawal(
    csp_page, live_server, screenshots, world, recruiter, settings, tmp_path
):
    # given a recruiter in Berlin of a requisition for a VP of Product, and four people for
    # a panel; uploads go to a throwaway folder
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    recruiter.time_zone = "Europe/Berlin"
    recruiter.save(update_fields=["time_zone"])
    requisition = str(world.requisition)
    # a candidate already there with the longest name and address the list must still fit
    LoopFactory(
        requisition=world.requisition,
        candidate=CandidateFactory(
            full_name="Maximiliana Featherstonehaugh-Cholmondeley",
            email="maximiliana.featherstonehaugh-cholmondeley.28722@example.com",
        ),
    )
    panel = {
        first: UserFactory(username=first.lower(), first_name=first, last_name="Doe")
        for _, _, first, _ in PLAN
    }
    page = csp_page.page
    walk = Walk(page, screenshots)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/hiring/candidate/add/")
    page.fill("#id_username", recruiter.username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")

    # when they add a candidate in New York for their requisition and continue editing
    page.select_option("#id_requisition", label=requisition)
    page.fill("#id_full_name", "Nia Newcomer")
    page.fill("#id_email", "nia@example.com")
    page.fill("#id_time_zone", "America/New_York")
    walk.check("candidate-add")
    page.click("input[name=_continue]")

    # then they are on her own page at once, put forward for the requisition
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    nia = Candidate.objects.get(email="nia@example.com")
    candidate_url = f"{live_server.url}/admin/hiring/candidate/{nia.pk}/change/"
    expect(page).to_have_url(candidate_url)
    expect(page.locator("#id_full_name")).to_have_value("Nia Newcomer")
    her_loops = page.get_by_role("region", name="Loops")
    expect(her_loops.get_by_role("link", name=requisition)).to_be_visible()
    expect(her_loops).to_contain_text("Scheduling")
    walk.check("candidate-page")

    # and she is in the candidate list
    open_candidate_list(page)
    listing = page.locator("#result_list")
    expect(listing).to_contain_text("Nia Newcomer")
    walk.check("candidate-list")

    # when they import a file of two candidates for the same requisition
    page.get_by_role("link", name="Import").click()
    page.select_option("#id_requisition", label=requisition)
    page.set_input_files(
        "#id_import_file",
        files=[{"name": "candidates.csv", "mimeType": "text/csv", "buffer": CSV.encode()}],
    )
    walk.check("import")
    page.get_by_role("button", name="Submit").click()

    # then a preview shows both before anything is saved
    preview = page.locator("table.import-preview")
    expect(preview).to_contain_text("Ada Lovelace")
    expect(preview).to_contain_text("Grace Hopper")
    assert not Candidate.objects.filter(email__in=["ada@example.com", "grace@example.com"])
    walk.check("import-preview")

    # and once it is confirmed, both are in the list at once, beside the one added by hand
    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist")).to_contain_text("Import finished: 2 new")
    for name in ("Ada Lovelace", "Grace Hopper", "Nia Newcomer"):
        expect(listing.get_by_role("link", name=name)).to_be_visible()
    walk.check("candidate-list-imported")

    # when they open the first candidate from the list and upload her CV
    listing.get_by_role("link", name="Nia Newcomer").click()
    expect(page).to_have_url(candidate_url)
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "Nia CV.pdf", "mimeType": "application/pdf", "buffer": one_page_pdf("Nia")}]
    )
    page.get_by_role("button", name="Upload").click()

    # then it is listed under Documents, as her CV
    documents = page.get_by_role("region", name="Documents")
    expect(documents.get_by_role("link", name="Nia CV.pdf")).to_be_visible()
    assert Attachment.objects.get(candidate=nia).kind == "cv"
    walk.check("candidate-documents")

    # when they open her loop, made when she was added: no interview, every must-have missing
    her_loops.get_by_role("link", name=requisition).click()
    loop = Loop.objects.get(candidate=nia)
    loop_url = f"{live_server.url}/admin/hiring/loop/{loop.pk}/change/"
    expect(page).to_have_url(loop_url)
    schedule = page.locator("#schedule tbody tr")
    covered = page.locator("#coverage li.covered")
    must_have_missing = page.locator("#must-have-missing")
    expect(page.get_by_role("region", name="Schedule")).to_contain_text("No interviews yet.")
    expect(covered).to_have_count(0)
    for name in MUST_HAVES:
        expect(must_have_missing).to_contain_text(f"“{name}”")
    walk.check("loop-empty")

    # and add the four interviews, one at a time in the focused form
    for n, (title, hour, who, focus) in enumerate(PLAN, start=1):
        page.get_by_role("link", name="Add interview", exact=True).click()
        expect(page).to_have_url(f"{live_server.url}/admin/hiring/interview/add/?loop={loop.pk}")
        expect(page.locator("#id_loop option:checked")).to_have_text(str(loop))
        fill_interview(page, title=title, hour=hour, who=str(panel[who]), focus=focus)
        if n == 1:
            walk.check("interview-add")
        page.click("input[name=_save]")

        # then they are back on the loop: one more row, in both zones, two more dimensions
        expect(page).to_have_url(loop_url)
        expect(page.locator(".messagelist")).to_contain_text(f"“{title} (Nia Newcomer)”")
        expect(schedule).to_have_count(n)
        row = schedule.nth(n - 1)  # in order of time, as planned
        expect(row.locator("strong")).to_have_text(title)
        expect(row).to_contain_text(f"Tue 04 Mar 2031, {span(hour + 1)} Europe/Berlin")
        expect(row).to_contain_text(
            f"Candidate: Tue 04 Mar 2031, {span(hour - 5)} America/New_York"
        )
        expect(row).to_contain_text(f"{who} Doe")
        expect(row).to_contain_text(", ".join(focus))
        expect(covered).to_have_count(2 * n)
        for name in focus:
            expect(covered.filter(has_text=name)).to_have_count(1)
        # and the must-have warning names what is still missing, until nothing is
        still_missing = [name for *_, rest in PLAN[n:] for name in rest if name in MUST_HAVES]
        if still_missing:
            expect(must_have_missing).to_contain_text(f"“{still_missing[0]}”")
        else:
            expect(must_have_missing).to_have_count(0)
        walk.check(f"loop-{n}-interview{'s' if n > 1 else ''}")
    assert loop.interviews.filter(status=Interview.Status.SCHEDULED).count() == 4

    # when she withdraws, the recruiter is told what will happen before anything does
    page.get_by_role("button", name="Withdraw candidate…").click()
    expect(page.locator("#confirm-summary")).to_contain_text(
        "Withdraws 1 loop, cancels 4 interviews"
    )
    explained = page.locator("#content-main")
    expect(explained).to_contain_text("its interviews still to come are cancelled")
    expect(explained).to_contain_text("The reason is kept in the candidate's audit trail.")
    for title, *_ in PLAN:
        expect(explained).to_contain_text(f"Cancels “{title}”")
    walk.check("withdraw-confirm")

    # and a blank reason: the browser will not send it; spaces: the server refuses them
    withdraw = page.get_by_role("button", name="Withdraw", exact=True)
    withdraw.click()
    assert page.locator("#id_reason").evaluate("field => field.validity.valueMissing")
    page.fill("#id_reason", "   ")
    withdraw.click()
    expect(page.locator("#reason-error")).to_contain_text("Say why the candidate withdraws.")
    expect(page.locator("#id_reason")).to_have_attribute("aria-invalid", "true")
    walk.check("withdraw-refused")

    # then nothing has changed
    loop.refresh_from_db()
    assert loop.status == Loop.Status.SCHEDULING
    assert loop.interviews.filter(status=Interview.Status.SCHEDULED).count() == 4
    assert not AuditEvent.objects.filter(candidate=nia, action="loop.stage_changed").exists()

    # when they give the reason
    page.fill("#id_reason", REASON)
    withdraw.click()

    # then they are back on the loop, withdrawn, its interviews cancelled
    expect(page).to_have_url(loop_url)
    expect(page.locator(".messagelist")).to_contain_text("Interviews cancelled")
    expect(schedule.filter(has_text="Cancelled")).to_have_count(4)

    # and her page says so, with the reason on the activity timeline
    page.goto(candidate_url)
    expect(her_loops).to_contain_text("Withdrawn")
    interviews = page.get_by_role("region", name="Interviews")
    expect(interviews.locator("tbody tr").filter(has_text="Cancelled")).to_have_count(4)
    activity = page.get_by_role("region", name="Activity").locator("li")
    withdrawn = activity.filter(has_text="Stage changed")
    expect(withdrawn).to_contain_text(f"Scheduling → Withdrawn; reason: {REASON}")
    expect(withdrawn).to_contain_text(f"by {recruiter.display_name}")
    # and each of the four cancellations is there too, with the same reason
    cancelled = activity.filter(has_text="Interview cancelled")
    expect(cancelled).to_have_count(4)
    expect(cancelled.first).to_contain_text(f"Reason: {REASON}")
    walk.check("candidate-withdrawn")
    loop.refresh_from_db()
    assert loop.status == Loop.Status.WITHDRAWN
    assert len(walk.shots) == 2 * 16
    assert csp_page.violations == []
