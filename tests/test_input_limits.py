"""Input limits (issue 12, item 5): every free-text field people write has a generous but
bounded length. Over it, the page, the autosave, the API, the admin and the importers answer
"Keep this within N characters (you wrote M)." next to the field, and nothing is stored:
the previous draft stays as it was, a submission stays a draft, no decision is recorded."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from hiring import limits
from hiring.decisions import decision_record
from hiring.models import Candidate, CaseExercise, Decision, Dimension, Interview, RoleProfile
from scorecards import services
from scorecards.models import Scorecard, ScorecardRevision
from scorecards.services import RatingInput, ScorecardContent
from tests.tokens import api_client

pytestmark = pytest.mark.django_db

MEGABYTE = "x" * 1_048_576


def message(limit: int, written: int) -> str:
    return f"Keep this within {limit:,} characters (you wrote {written:,})."


def api_as(user) -> APIClient:
    """The user's integration, signed in with an API token."""
    return api_client(user)


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# --- The hiring manager's decision ---------------------------------------------------------


def test_a_megabyte_rationale_on_the_summary_page_is_refused_and_nothing_decided(
    client, world, hiring_manager
):
    client.force_login(hiring_manager)
    decide = reverse("scorecards:manager_decide", args=[world.loop.pk])
    status_before = world.loop.status

    response = client.post(decide, {"outcome": "hire", "rationale": MEGABYTE})

    assert response.status_code == 400
    assert message(5_000, 1_048_576) in page_text(response)
    assert 'maxlength="5000"' in response.content.decode()  # the browser stops typing there
    assert not Decision.objects.exists()
    world.loop.refresh_from_db()
    assert world.loop.status == status_before


def test_a_megabyte_rationale_over_the_api_is_a_400_by_field_and_nothing_decided(
    world, hiring_manager
):
    response = api_as(hiring_manager).post(
        f"/api/v1/loops/{world.loop.pk}/decisions/",
        {"outcome": "hire", "rationale": MEGABYTE},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["rationale"] == [message(5_000, 1_048_576)]
    assert not Decision.objects.exists()


def test_the_decision_service_itself_refuses_an_overlong_rationale(world, hiring_manager):
    with pytest.raises(ValidationError) as refused:
        decision_record(loop=world.loop, outcome="hire", rationale=MEGABYTE, by=hiring_manager)

    assert refused.value.message_dict == {"rationale": [message(5_000, 1_048_576)]}
    assert not Decision.objects.exists()


def test_a_rationale_of_exactly_the_limit_is_recorded(client, world, hiring_manager):
    client.force_login(hiring_manager)
    rationale = "y" * limits.DECISION_RATIONALE

    response = client.post(
        reverse("scorecards:manager_decide", args=[world.loop.pk]),
        {"outcome": "hire", "rationale": rationale},
    )

    assert response.status_code == 302
    assert Decision.objects.get().rationale == rationale


# --- The interviewer's scorecard -----------------------------------------------------------


def focus_ids(interview: Interview) -> list[int]:
    return [d.pk for d in interview.focus_dimensions.order_by("order", "pk")]


def complete_post(interview: Interview, *, action: str, **overrides: str) -> dict[str, str]:
    data = {"based_on": "0", "action": action}
    for pk in focus_ids(interview):
        data[f"rating_{pk}"] = "3"
        data[f"evidence_{pk}"] = f"Evidence for dimension {pk}."
    data["overall_recommendation"] = "yes"
    data["key_takeaways"] = "Clear thinker."
    return {**data, **overrides}


@pytest.fixture
def drafted(world, interviewer) -> Scorecard:
    """The interviewer has a draft saved: whatever is refused later must leave it as it is."""
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    first = focus_ids(world.interview)[0]
    services.scorecard_save_draft(
        scorecard=scorecard,
        content=ScorecardContent(
            ratings={first: RatingInput(rating=3, evidence="The saved evidence.")},
            key_takeaways="The saved takeaways.",
        ),
        by=interviewer,
    )
    return scorecard


def assert_draft_untouched(scorecard: Scorecard) -> None:
    [draft] = ScorecardRevision.objects.filter(scorecard=scorecard)
    assert draft.submitted_at is None
    assert draft.key_takeaways == "The saved takeaways."
    assert [r.evidence for r in draft.ratings.all()] == ["The saved evidence."]
    scorecard.refresh_from_db()
    assert scorecard.status == Scorecard.Status.DRAFT


def test_overlong_evidence_on_the_scorecard_page_is_refused_next_to_the_field(
    client, world, interviewer, drafted
):
    client.force_login(interviewer)
    first = focus_ids(world.interview)[0]
    form_url = f"/interviews/{world.interview.pk}/scorecard/"
    assert f'maxlength="{limits.EVIDENCE}"' in client.get(form_url).content.decode()

    response = client.post(
        form_url,
        complete_post(world.interview, action="submit", **{f"evidence_{first}": "e" * 10_412}),
    )

    assert response.status_code == 400
    error = re.search(rf'id="id_evidence_{first}_error">(.*?)</p>', response.content.decode())
    assert error
    assert message(10_000, 10_412) in error.group(1)
    assert_draft_untouched(drafted)


def test_an_overlong_autosave_keeps_the_previous_draft(client, world, interviewer, drafted):
    client.force_login(interviewer)
    first = focus_ids(world.interview)[0]

    response = client.post(
        f"/interviews/{world.interview.pk}/scorecard/draft/",
        complete_post(
            world.interview, action="", key_takeaways="t" * 10_001, **{f"evidence_{first}": "ok"}
        ),
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"key_takeaways": [message(10_000, 10_001)]}
    assert_draft_untouched(drafted)


def test_line_breaks_count_once_as_the_browser_counts_them(client, world, interviewer):
    # The textarea's maxlength counts a line break as one character; the form posts CR LF.
    client.force_login(interviewer)
    first = focus_ids(world.interview)[0]
    evidence = ("x" * 99 + "\r\n") * 100  # 10,000 characters on screen, 10,100 posted

    response = client.post(
        f"/interviews/{world.interview.pk}/scorecard/draft/",
        {"based_on": "0", f"evidence_{first}": evidence},
    )

    assert response.status_code == 200, response.json()
    draft = ScorecardRevision.objects.get(scorecard__interview=world.interview)
    assert draft.ratings.get(dimension_id=first).evidence == evidence.strip()


def test_overlong_evidence_over_the_api_draft_is_a_400_and_keeps_the_draft(
    world, interviewer, drafted
):
    first, second = focus_ids(world.interview)
    payload = {
        "ratings": [
            {"dimension": first, "rating": 2, "evidence": "short"},
            {"dimension": second, "rating": 2, "evidence": "e" * 10_412},
        ]
    }

    response = api_as(interviewer).post(
        f"/api/v1/interviews/{world.interview.pk}/scorecard/draft/", payload, format="json"
    )

    assert response.status_code == 400
    assert response.json()["ratings"] == {"1": {"evidence": [message(10_000, 10_412)]}}
    assert_draft_untouched(drafted)


def test_an_overlong_api_submission_stays_a_draft(world, interviewer, drafted):
    payload = {
        "ratings": [
            {"dimension": pk, "rating": 3, "evidence": "Concrete."}
            for pk in focus_ids(world.interview)
        ],
        "overall_recommendation": "yes",
        "key_takeaways": "k" * 20_000,
    }

    response = api_as(interviewer).post(
        f"/api/v1/interviews/{world.interview.pk}/scorecard/submit/", payload, format="json"
    )

    assert response.status_code == 400
    assert response.json()["key_takeaways"] == [message(10_000, 20_000)]
    assert_draft_untouched(drafted)


def test_the_scorecard_services_refuse_overlong_text_whoever_calls_them(
    world, interviewer, drafted
):
    first = focus_ids(world.interview)[0]
    too_long = ScorecardContent(
        ratings={first: RatingInput(rating=3, evidence="e" * 10_001)},
        overall_recommendation="yes",
        amendment_reason="r" * 2_001,
    )

    with pytest.raises(ValidationError) as on_save:
        services.scorecard_save_draft(scorecard=drafted, content=too_long, by=interviewer)
    with pytest.raises(ValidationError) as on_submit:
        services.scorecard_submit(scorecard=drafted, content=too_long, by=interviewer)

    for refused in (on_save.value, on_submit.value):
        assert refused.message_dict == {
            f"evidence_{first}": [message(10_000, 10_001)],
            "amendment_reason": [message(2_000, 2_001)],
        }
    assert_draft_untouched(drafted)


# --- The admin and the importers -------------------------------------------------------------


def test_an_overlong_recruiter_note_in_the_admin_is_refused(client, world, recruiter):
    candidate = world.loop.candidate
    client.force_login(recruiter)
    change = f"/admin/hiring/candidate/{candidate.pk}/change/"
    assert f'maxlength="{limits.RECRUITER_NOTES}"' in client.get(change).content.decode()
    fields = ("full_name", "email", "phone", "location", "time_zone", "current_title",
              "current_company", "profile_url", "source")  # fmt: skip

    response = client.post(
        change,
        {**{name: getattr(candidate, name) for name in fields}, "recruiter_notes": "n" * 10_412},
    )

    assert response.status_code == 200  # the form again, with the error
    assert message(10_000, 10_412) in page_text(response)
    candidate.refresh_from_db()
    assert candidate.recruiter_notes == ""


def test_model_validation_keeps_every_limit(world):
    # Any ModelForm (the admin's inlines for the rubric included) runs these.
    dimension = Dimension.objects.filter(profile=world.requisition.profile)[0]
    dimension.meets_bar = "m" * 5_001

    with pytest.raises(ValidationError) as refused:
        dimension.full_clean()

    assert refused.value.message_dict == {"meets_bar": [message(5_000, 5_001)]}


def test_an_overlong_scale_label_is_refused(world):
    profile = world.requisition.profile
    profile.scale_labels = ["Low", "Mixed", "Good", "L" * 61][: profile.rating_scale]

    with pytest.raises(ValidationError) as refused:
        profile.full_clean()

    assert "scale_labels" in refused.value.message_dict


def test_the_shipped_rubric_fits_under_the_limits():
    rubric = [*RoleProfile.objects.all(), *Dimension.objects.all(), *CaseExercise.objects.all()]

    assert len(rubric) >= 20  # the ladder's profiles, the VP's dimensions and cases
    for item in rubric:
        item.full_clean()


CANDIDATES_HEADER = (
    "full_name,email,phone,location,time_zone,current_title,current_company,profile_url,source\n"
)


def test_a_candidate_csv_row_over_a_length_is_reported_and_nothing_imported(
    client, world, recruiter
):
    client.force_login(recruiter)
    text = (
        CANDIDATES_HEADER
        + "Ada Lovelace,ada@example.com,,London,Europe/London,CPO,Analytical,,referral\n"
        + "N" * 201 + ",long@example.com,,,UTC,,,,\n"
    )  # fmt: skip
    upload = SimpleUploadedFile("candidates.csv", text.encode(), content_type="text/csv")

    response = client.post(
        "/admin/hiring/candidate/import/",
        {"format": "0", "import_file": upload, "requisition": world.requisition.pk},
    )

    assert response.context.get("confirm_form") is None
    assert re.search(r" 2 1 full_name " + re.escape(message(200, 201)), page_text(response))
    assert not Candidate.objects.filter(email__in=["ada@example.com", "long@example.com"]).exists()


SCORECARDS_HEADER = [
    "candidate_email", "candidate_name", "requisition", "role_profile", "interviewer_email",
    "interviewed_on", "dimension", "rating", "recommendation",
]  # fmt: skip


def scorecards_csv(tmp_path, rows: list[list[str]]):
    path = tmp_path / "history.csv"
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(SCORECARDS_HEADER)
        writer.writerows(rows)
    return path


def test_import_scorecards_reports_a_name_too_long_for_the_database(tmp_path):
    path = scorecards_csv(
        tmp_path,
        [
            ["c@example.com", "Candidate", "VP 2025", "vp-of-product", "i@example.com",
             "2025-01-10", "communication", "3", "yes"],
            ["d@example.com", "D" * 250, "VP 2025", "vp-of-product", "i@example.com",
             "2025-01-10", "communication", "3", "yes"],
        ],
    )  # fmt: skip
    err = io.StringIO()

    with pytest.raises(CommandError, match=r"1 bad row\(s\).*nothing was imported"):
        call_command("import_scorecards", str(path), stderr=err)

    assert f"row 3: candidate_name: {message(200, 250)}" in err.getvalue()
    assert not Candidate.objects.filter(email__in=["c@example.com", "d@example.com"]).exists()


def test_import_scorecards_takes_long_but_valid_addresses_once(tmp_path):
    # Each fits its column; together they outgrow the import key, and the interviewer's
    # address is longer than a username may be.
    long_email = "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + ".example.com"
    interviewer = "i" * 64 + "@" + "j" * 60 + "." + "k" * 60 + ".example.com"
    row = [long_email, "Long Address", "VP 2025 " + "t" * 150, "vp-of-product", interviewer,
           "2025-01-10", "communication", "3", "yes"]  # fmt: skip
    path = scorecards_csv(tmp_path, [row])
    out = io.StringIO()

    call_command("import_scorecards", str(path), stdout=out)
    call_command("import_scorecards", str(path), stdout=out)

    assert "Imported 1 scorecard(s) with 1 rating(s)" in out.getvalue()
    assert "1 already imported" in out.getvalue()
    scorecard = Scorecard.objects.get(interview__loop__candidate__email=long_email)
    assert scorecard.interviewer.email == interviewer
