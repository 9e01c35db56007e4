"""Candidates in bulk (issue 4, item 5): CSV import in the admin with a preview and row
errors, where a bad file imports nothing; export of what the recruiter may see only."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hiring.models import Candidate, Requisition
from tests.factories import CandidateFactory, LoopFactory, RequisitionFactory

pytestmark = pytest.mark.django_db

IMPORT = "/admin/hiring/candidate/import/"
CONFIRM = "/admin/hiring/candidate/process_import/"
HEADER = (
    "full_name,email,phone,location,time_zone,current_title,current_company,profile_url,source\n"
)
GOOD = HEADER + (
    "Ada Lovelace,ada@example.com,,London,Europe/London,CPO,Analytical,,referral\n"
    "Grace Hopper,grace@example.com,,Arlington,America/New_York,VP Product,Navy,,sourced\n"
)


def upload(client, text):
    csv = SimpleUploadedFile("candidates.csv", text.encode(), content_type="text/csv")
    # every row is put forward for one of the recruiter's requisitions (issue 15)
    requisition = Requisition.objects.get(recruiters__username="rita")
    return client.post(IMPORT, {"format": "0", "import_file": csv, "requisition": requisition.pk})


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(CONFIRM, {**form.initial})


def test_a_good_file_is_previewed_then_imported(client, world, recruiter):
    client.force_login(recruiter)
    # when the recruiter uploads the file, they get a preview and nothing is written yet
    preview = upload(client, GOOD)
    assert preview.status_code == 200
    assert "Ada Lovelace" in preview.content.decode()
    assert not Candidate.objects.filter(email="ada@example.com").exists()
    # then confirming imports both rows
    response = confirm(client, preview)
    assert response.status_code == 302
    ada = Candidate.objects.get(email="ada@example.com")
    assert (ada.full_name, ada.time_zone) == ("Ada Lovelace", "Europe/London")
    assert Candidate.objects.filter(email="grace@example.com").exists()


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(client, world, recruiter):
    client.force_login(recruiter)
    bad = GOOD + "Bad Zone,bad@example.com,,,Mars/Olympus,,,,\nNo Mail,,,,UTC,,,,\n"
    response = upload(client, bad)
    html = response.content.decode()
    assert response.context.get("confirm_form") is None
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Some rows failed to validate" in text
    assert re.search(r" 3 1 time_zone .*Mars/Olympus.* is not a known time zone", text)
    assert re.search(r" 4 1 email This field cannot be blank", text)
    assert not Candidate.objects.filter(
        email__in=["ada@example.com", "grace@example.com", "bad@example.com"]
    ).exists()


def test_importing_the_same_file_twice_changes_nothing(client, world, recruiter):
    client.force_login(recruiter)
    confirm(client, upload(client, GOOD))
    confirm(client, upload(client, GOOD))
    assert Candidate.objects.filter(email__in=["ada@example.com", "grace@example.com"]).count() == 2


def test_a_row_cannot_overwrite_another_requisitions_candidate(client, world, recruiter):
    theirs = LoopFactory(requisition=RequisitionFactory()).candidate
    client.force_login(recruiter)
    text = HEADER + f"Renamed,{theirs.email.upper()},,,UTC,,,,\n"
    response = upload(client, text)
    assert response.context.get("confirm_form") is None
    assert "do not recruit for" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.full_name != "Renamed"


def test_the_export_holds_only_candidates_of_the_recruiters_requisitions(client, world, recruiter):
    foreign = LoopFactory(requisition=RequisitionFactory()).candidate
    loose = CandidateFactory()
    client.force_login(recruiter)
    response = client.post(
        "/admin/hiring/candidate/export/",
        {
            "format": "0",
            "resource": "0",
            **{f"candidateresource_{name}": "on" for name in ("full_name", "email")},
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert world.loop.candidate.email in body
    assert foreign.email not in body
    assert loose.email not in body


def test_a_file_over_the_import_limit_is_refused_before_any_row_is_read(
    client, world, recruiter, settings
):
    settings.IMPORT_MAX_MB = 1
    client.force_login(recruiter)
    # a well-formed file, just too big: 1.1 MB of valid rows
    rows = "".join(
        f"Person {n},person{n}@example.com,,London,Europe/London,PM,Acme,,referral\n"
        for n in range(16_000)
    )
    response = upload(client, HEADER + rows)
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    text = re.sub(r"\s+", " ", response.content.decode())
    assert "an import takes up to 1 MB. Split it into smaller files" in text
    assert not Candidate.objects.filter(email="person0@example.com").exists()
