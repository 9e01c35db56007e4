"""Issue 18, HR's CSV import of outcomes after the hire: the management command and the upload
page take the same file, all or nothing, naming every bad row and why; a re-import changes
nothing; only an administrator uploads."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from hiring import outcomes
from hiring.models import AuditEvent, HireOutcome, Loop, User
from tests.factories import DecisionFactory, LoopFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "candidate_email,loop,requisition,months,performance,still_employed,regretted,note\n"


def hire(loop: Loop, by: User, days_ago: int = 30) -> None:
    Loop.objects.filter(pk=loop.pk).update(status=Loop.Status.DECIDED)
    DecisionFactory(loop=loop, decided_by=by, decided_at=timezone.now() - timedelta(days=days_ago))


def run(tmp_path: Path, text: str) -> tuple[str, str]:
    path = tmp_path / "outcomes.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_outcomes", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_history_by_loop_or_by_email_and_requisition(
    tmp_path, world, hiring_manager
):
    # given a hire a month ago (so not due: history is taken as it is)
    hire(world.loop, hiring_manager)
    email = world.loop.candidate.email.upper()
    title = world.requisition.title
    text = (
        HEADER
        + f",{world.loop.pk},,6,4,yes,,Strong start\n"
        + f'{email},,"{title}",12,,no,yes,"\'=left for a startup"\n'
    )
    # when HR imports it
    out, _ = run(tmp_path, text)
    # then both checkpoints are recorded, the formula-quoted note as it was typed
    assert out.strip() == "Recorded 2, revised 0, unchanged 0."
    six, twelve = HireOutcome.objects.order_by("months")
    assert (six.performance, six.still_employed, six.note) == (4, True, "Strong start")
    assert (twelve.performance, twelve.still_employed, twelve.regretted) == (None, False, True)
    assert twelve.note == "=left for a startup"
    # audited, by nobody (the command), about the candidate
    events = AuditEvent.objects.filter(action="outcome.recorded")
    assert {(e.actor, e.candidate_id) for e in events} == {(None, world.loop.candidate_id)}
    # and the same file again changes nothing
    out, _ = run(tmp_path, text)
    assert out.strip() == "Recorded 0, revised 0, unchanged 2."
    assert AuditEvent.objects.filter(action__startswith="outcome.").count() == 2


def test_one_bad_row_imports_nothing_and_every_bad_row_is_named(tmp_path, world, hiring_manager):
    hire(world.loop, hiring_manager)
    not_hired = LoopFactory(requisition=world.requisition)
    text = (
        HEADER
        + f",{world.loop.pk},,6,4,yes,,Fine\n"  # line 2: good
        + f",{world.loop.pk},,9,7,maybe,,\n"  # line 3: three things wrong
        + f",{not_hired.pk},,6,3,yes,,\n"  # line 4: not a hire
        + "nobody@example.com,,,6,3,yes,,\n"  # line 5: unknown
        + f",{world.loop.pk},,6,2,yes,,again\n"  # line 6: same as line 2
        + f",{world.loop.pk},,12,3,yes,yes,\n"  # line 7: regretted while employed
    )
    with pytest.raises(CommandError) as excinfo:
        run(tmp_path, text)
    assert (
        str(excinfo.value) == "5 bad rows: nothing was imported. Fix them and run the import again."
    )
    result = outcomes.import_csv(text, by=None)
    assert sorted(result.errors) == [3, 4, 5, 6, 7]
    assert result.errors[3] == [
        "months: write 6 or 12.",
        "performance: write a number from 1 to 5, or nothing.",
        "still_employed: write yes or no.",
    ]
    assert result.errors[4] == [f"loop: no hired loop #{not_hired.pk}."]
    assert result.errors[5] == ["No hire of nobody@example.com in Loopwise."]
    assert result.errors[6] == ["The same hire and checkpoint as line 2."]
    assert result.errors[7] == [
        "regretted: Regretted attrition is for someone who left: leave it empty."
    ]
    assert not HireOutcome.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="outcome.").exists()


def test_a_file_without_the_columns_or_rows_is_refused_with_the_reason(tmp_path):
    with pytest.raises(CommandError):
        run(tmp_path, "name,score\nAda,4\n")
    assert outcomes.import_csv("name,score\nAda,4\n", by=None).errors == {
        1: ["The first line must name the columns: " + ", ".join(outcomes.CSV_COLUMNS) + "."]
    }
    assert outcomes.import_csv(HEADER, by=None).errors == {
        1: ["The file has no rows below its header."]
    }


def test_a_candidate_hired_twice_must_be_named_by_requisition(world, hiring_manager):
    hire(world.loop, hiring_manager)
    again = LoopFactory(candidate=world.loop.candidate)
    hire(again, hiring_manager)
    email = world.loop.candidate.email
    result = outcomes.import_csv(HEADER + f"{email},,,6,3,yes,,\n", by=None)
    assert result.errors == {
        2: [f"{email} was hired more than once: name the requisition or the loop id."]
    }
    result = outcomes.import_csv(HEADER + f"{email},,{again.requisition_id},6,3,yes,,\n", by=None)
    assert result.ok
    assert HireOutcome.objects.get().loop == again


# --- The upload page -------------------------------------------------------------------------


def upload(client, text: str):
    file = SimpleUploadedFile("outcomes.csv", text.encode(), content_type="text/csv")
    return client.post(reverse("scorecards:insight_outcomes_import"), {"file": file})


def test_hr_uploads_a_file_and_a_bad_one_is_explained(client, world, hiring_manager):
    hire(world.loop, hiring_manager)
    hr = UserFactory(username="hr", is_superuser=True, is_staff=True)
    client.force_login(hr)
    assert client.get(reverse("scorecards:insight_outcomes_import")).status_code == 200
    bad = upload(client, HEADER + f",{world.loop.pk},,6,,yes,,\n")
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "Nothing was imported: 1 bad row" in page
    assert "Line 2: performance: Rate their performance: they are still employed." in page
    assert not HireOutcome.objects.exists()
    good = upload(client, HEADER + f",{world.loop.pk},,6,5,yes,,\n")
    assert good.status_code == 302
    assert (
        "Imported: 1 recorded, 0 revised, 0 unchanged."
        in client.get(good["Location"]).content.decode()
    )
    assert HireOutcome.objects.get().recorded_by == hr


def test_only_an_administrator_uploads(client, world, hiring_manager, recruiter):
    hire(world.loop, hiring_manager)
    for person in (recruiter, hiring_manager):
        client.force_login(person)
        assert client.get(reverse("scorecards:insight_outcomes_import")).status_code == 403
        assert upload(client, HEADER + f",{world.loop.pk},,6,5,yes,,\n").status_code == 403
    assert not HireOutcome.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(client):
    client.force_login(UserFactory(username="hr", is_superuser=True, is_staff=True))
    file = SimpleUploadedFile("outcomes.csv", "loop,months\n1,6 \xe9\n".encode("latin-1"))
    response = client.post(reverse("scorecards:insight_outcomes_import"), {"file": file})
    assert response.status_code == 400
    assert "Save the file as UTF-8 CSV and upload it again." in response.content.decode()
