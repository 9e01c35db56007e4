"""Output hygiene (issue 12, item 5): CSV exports never hand a spreadsheet a formula. Text
that starts with =, +, -, @, a tab or a carriage return is written behind a single quote
(OWASP's advice), while numbers, a negative leniency included, are written as they are.
Read back with the csv module, as a spreadsheet or a script would."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from hiring.models import AuditEvent, Candidate, Requisition, User
from hiring.privacy.resources import CANDIDATE_COLUMNS
from tests.factories import CandidateFactory, LoopFactory
from tests.scorecards.test_import_export import history_csv, write

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x","y")'
COMMAND = "-1+cmd|' /C calc'!A0"
AT_SUM = "@SUM(A1)"


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- The admin's candidate CSV ---------------------------------------------------------------


@pytest.fixture
def dangerous(world) -> list[Candidate]:
    """Candidates of the recruiter's requisition whose data a spreadsheet would run."""
    rows = [
        {"full_name": HYPERLINK, "phone": "+44 20 7946 0000"},
        {"full_name": COMMAND, "current_title": "\t=1+1"},
        {"full_name": AT_SUM, "current_company": "@Acme"},
    ]
    return [
        LoopFactory(requisition=world.requisition, candidate=CandidateFactory(**row)).candidate
        for row in rows
    ]


def export_candidates(client) -> str:
    response = client.post(
        "/admin/hiring/candidate/export/",
        {
            "format": "0",
            "resource": "0",
            **{f"candidateresource_{name}": "on" for name in CANDIDATE_COLUMNS},
        },
    )
    assert response.status_code == 200
    return response.content.decode("utf-8-sig")


def test_the_candidate_csv_quotes_every_cell_a_spreadsheet_would_run(
    client, world, recruiter, dangerous
):
    carriage = LoopFactory(
        requisition=world.requisition, candidate=CandidateFactory(source="\r=1+1")
    ).candidate
    client.force_login(recruiter)

    rows = {row["email"]: row for row in read_csv(export_candidates(client))}

    hyperlink, command, at_sum = (rows[c.email] for c in dangerous)
    assert hyperlink["full_name"] == "'" + HYPERLINK
    assert hyperlink["phone"] == "'+44 20 7946 0000"
    assert command["full_name"] == "'" + COMMAND
    assert command["current_title"] == "'\t=1+1"
    assert at_sum["full_name"] == "'" + AT_SUM
    assert at_sum["current_company"] == "'@Acme"
    assert rows[carriage.email]["source"] == "'\r=1+1"
    # plain text is untouched
    plain = rows[world.loop.candidate.email]
    assert plain["full_name"] == world.loop.candidate.full_name
    assert plain["time_zone"] == "UTC"


def test_importing_the_exported_csv_gives_back_the_text_as_it_was(
    client, world, recruiter, dangerous
):
    client.force_login(recruiter)
    exported = export_candidates(client)
    before = {c.pk: [getattr(c, name) for name in CANDIDATE_COLUMNS] for c in dangerous}

    upload = SimpleUploadedFile("candidates.csv", exported.encode(), content_type="text/csv")
    preview = client.post(
        "/admin/hiring/candidate/import/",
        {"format": "0", "import_file": upload, "requisition": world.requisition.pk},
    )
    confirmed = client.post(
        "/admin/hiring/candidate/process_import/", {**preview.context["confirm_form"].initial}
    )

    assert confirmed.status_code == 302
    for candidate in dangerous:
        candidate.refresh_from_db()
        assert [getattr(candidate, name) for name in CANDIDATE_COLUMNS] == before[candidate.pk]
    assert not AuditEvent.objects.filter(action="candidate.changed_by_import").exists()


# --- The §9 export commands ------------------------------------------------------------------

NUMBERS = ("scorecards", "raw_score", "calibrated_score", "calibrated_low", "calibrated_high")


def test_export_summaries_quotes_text_and_writes_numbers_as_they_are(tmp_path):
    call_command("import_scorecards", str(write(tmp_path, history_csv())), stdout=io.StringIO())
    Requisition.objects.filter(title="VP Product 2025").update(title=HYPERLINK)
    Candidate.objects.filter(email="c0@example.com").update(email="-1+cmd@example.com")
    Candidate.objects.filter(email="c1@example.com").update(email=AT_SUM)

    out, json_out = io.StringIO(), io.StringIO()
    call_command("export_summaries", "--format", "csv", stdout=out)
    call_command("export_summaries", "--format", "json", stdout=json_out)
    rows, data = read_csv(out.getvalue()), json.loads(json_out.getvalue())

    assert list(rows[0]) == [
        "candidate_email", "requisition", "scorecards", "raw_score", "calibrated_score",
        "calibrated_low", "calibrated_high", "recommendation", "needs_debrief", "reasons",
    ]  # fmt: skip
    assert {row["requisition"] for row in rows} == {"'" + HYPERLINK}
    emails = {row["candidate_email"] for row in rows}
    assert {"'-1+cmd@example.com", "'" + AT_SUM, "c2@example.com"} <= emails
    # JSON is not a spreadsheet: it keeps the text as it is
    assert {item["requisition"] for item in data} == {HYPERLINK}
    assert "-1+cmd@example.com" in {item["candidate_email"] for item in data}
    # every number is the number, in the same order as the JSON
    assert len(rows) == len(data) == 30
    for row, item in zip(rows, data, strict=True):
        for column in NUMBERS:
            assert float(row[column]) == item[column], column
        assert row["needs_debrief"] == ("true" if item["needs_debrief"] else "false")


def test_export_interviewers_keeps_a_negative_leniency_a_number(tmp_path):
    history = history_csv(lenient="-lenny@example.com")
    call_command("import_scorecards", str(write(tmp_path, history)), stdout=io.StringIO())
    User.objects.filter(email="int0@example.com").update(email="=int0@example.com")

    out, json_out = io.StringIO(), io.StringIO()
    call_command("export_interviewers", "--format", "csv", stdout=out)
    call_command("export_interviewers", "--format", "json", stdout=json_out)
    rows, data = read_csv(out.getvalue()), json.loads(json_out.getvalue())

    assert list(rows[0]) == ["interviewer_email", "ratings", "leniency"]
    emails = {row["interviewer_email"] for row in rows}
    assert {"'-lenny@example.com", "'=int0@example.com", "int1@example.com"} <= emails
    assert "-lenny@example.com" in {item["interviewer_email"] for item in data}
    negative = [row["leniency"] for row in rows if float(row["leniency"]) < 0]
    assert negative, "the harsher interviewers' leniency is below zero"
    assert all(text.startswith("-") for text in negative)  # no quote before a number
    for row, item in zip(rows, data, strict=True):
        assert float(row["leniency"]) == item["leniency"]
        assert int(row["ratings"]) == item["ratings"]
