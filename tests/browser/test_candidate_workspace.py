"""A recruiter's new candidates in a real browser (issue 15, items 1 and 2): one added in the
admin lands on their own page at once, two imported from a CSV file appear in the list, each
put forward for the requisition chosen; the candidate page reads at 1280 px without
sideways scrolling. Screenshots at 1280 and 390 px go to artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hiring.models import Attachment, Candidate, Loop
from scorecards.demo import one_page_pdf
from tests.browser.axe import assert_no_axe_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CSV = (
    "full_name,email,phone,location,time_zone,current_title,current_company,profile_url,source\n"
    "Ada Lovelace,ada@example.com,,London,Europe/London,CPO,Analytical,,referral\n"
    "Grace Hopper,grace@example.com,,Arlington,America/New_York,VP Product,Navy,,sourced\n"
)


def shoot(page, path, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def no_sideways_scrolling(page) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_recruiter_adds_and_imports_candidates_who_stay_in_sight(
    csp_page, live_server, screenshots, world, recruiter, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    page = csp_page.page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/hiring/candidate/add/")
    page.fill("#id_username", recruiter.username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")

    # when the recruiter adds a candidate for their requisition and continues editing
    page.select_option("#id_requisition", label=str(world.requisition))
    page.fill("#id_full_name", "Nia Newcomer")
    page.fill("#id_email", "nia@example.com")
    shoot(page, screenshots / "recruiter-candidate-add-1280.png", 1280)
    shoot(page, screenshots / "recruiter-candidate-add-390.png", 390)
    page.click("input[name=_continue]")

    # then they land on the candidate's own page, not on "doesn't exist"
    nia = Candidate.objects.get(email="nia@example.com")
    expect(page).to_have_url(re.compile(rf"/admin/hiring/candidate/{nia.pk}/change/$"))
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator("#id_full_name")).to_have_value("Nia Newcomer")
    assert Loop.objects.get(candidate=nia).requisition == world.requisition
    assert no_sideways_scrolling(page)
    shoot(page, screenshots / "recruiter-candidate-page-1280.png", 1280)
    shoot(page, screenshots / "recruiter-candidate-page-390.png", 390)

    # when they upload a program renamed as a CV, it is refused in words and nothing is kept
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "cv.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" * 64}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".messagelist")).to_contain_text("Not uploaded")
    assert not Attachment.objects.filter(candidate=nia).exists()

    # and when they upload her real CV, it is listed under Documents
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "Nia CV.pdf", "mimeType": "application/pdf", "buffer": one_page_pdf("Nia")}]
    )
    page.get_by_role("button", name="Upload").click()
    documents = page.get_by_role("region", name="Documents")
    expect(documents.get_by_role("link", name="Nia CV.pdf")).to_be_visible()
    assert Attachment.objects.get(candidate=nia).kind == "cv"
    assert_no_axe_violations(page)
    shoot(page, screenshots / "recruiter-candidate-documents-1280.png", 1280)

    # and the list shows them
    page.goto(f"{live_server.url}/admin/hiring/candidate/")
    expect(page.locator("#result_list")).to_contain_text("Nia Newcomer")

    # when they import a file of two candidates for the same requisition
    page.get_by_role("link", name="Import").click()
    page.select_option("#id_requisition", label=str(world.requisition))
    page.set_input_files(
        "#id_import_file",
        files=[{"name": "candidates.csv", "mimeType": "text/csv", "buffer": CSV.encode()}],
    )
    shoot(page, screenshots / "recruiter-candidate-import-1280.png", 1280)
    shoot(page, screenshots / "recruiter-candidate-import-390.png", 390)
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("body")).to_contain_text("Ada Lovelace")  # the preview
    page.get_by_role("button", name="Confirm import").click()

    # then both are in the list at once, each in a loop for the requisition
    expect(page.locator(".messagelist")).to_contain_text("Import finished: 2 new")
    listing = page.locator("#result_list")
    expect(listing).to_contain_text("Ada Lovelace")
    expect(listing).to_contain_text("Grace Hopper")
    shoot(page, screenshots / "recruiter-candidate-list-1280.png", 1280)
    shoot(page, screenshots / "recruiter-candidate-list-390.png", 390)
    imported = Loop.objects.filter(candidate__email__in=["ada@example.com", "grace@example.com"])
    assert {loop.requisition_id for loop in imported} == {world.requisition.pk}
    assert imported.count() == 2

    # and one of them opens on their page
    listing.get_by_role("link", name="Grace Hopper").click()
    expect(page.locator("#id_email")).to_have_value("grace@example.com")
    assert csp_page.violations == []
