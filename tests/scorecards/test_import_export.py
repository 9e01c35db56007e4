"""DESIGN §9 contracts: import_scorecards, export_summaries, export_interviewers."""

import csv
import io
import json
import random

import pytest
from django.core.management import CommandError, call_command

from hiring.models import Interview, Loop
from scorecards.models import DimensionRating, LoopSummary, Scorecard

pytestmark = pytest.mark.django_db

HEADER = (
    "candidate_email,candidate_name,requisition,role_profile,interviewer_email,"
    "interviewed_on,dimension,rating,recommendation\n"
)
DIMENSIONS = ["product-strategy", "communication", "people-leadership", "values-judgment"]


def history_csv(seed=7, candidates=30, lenient="lenny@example.com"):
    """Interviewers of equal accuracy; one of them rates everyone a point higher."""
    rng = random.Random(seed)
    interviewers = [f"int{i}@example.com" for i in range(7)] + [lenient]
    lines = [HEADER]
    for c in range(candidates):
        ability = rng.choice([-1, 0, 0, 1])
        for interviewer in rng.sample(interviewers, 4):
            bump = 1 if interviewer == lenient else 0
            ratings = [
                max(1, min(4, 3 + ability + bump + rng.choice([-1, 0, 0, 0, 1])))
                for _ in DIMENSIONS
            ]
            verdict = "yes" if sum(ratings) >= 3 * len(ratings) else "no"
            for dimension, rating in zip(DIMENSIONS, ratings, strict=True):
                lines.append(
                    f"c{c}@example.com,Candidate {c},VP Product 2025,vp-of-product,"
                    f"{interviewer},2025-0{1 + c % 9}-1{c % 9},{dimension},{rating},{verdict}\n"
                )
    return "".join(lines)


def write(tmp_path, text, name="history.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def snapshot():
    return (
        Loop.objects.count(),
        Interview.objects.count(),
        Scorecard.objects.count(),
        sorted(DimensionRating.objects.values_list("dimension__slug", "rating")),
    )


def test_importing_the_same_file_twice_gives_the_same_database(tmp_path):
    path = write(tmp_path, history_csv())
    out = io.StringIO()
    call_command("import_scorecards", str(path), stdout=out)
    assert "Imported 120 scorecard(s) with 480 rating(s)" in out.getvalue()
    first = snapshot()
    call_command("import_scorecards", str(path), stdout=out)
    assert "120 already imported" in out.getvalue()
    assert snapshot() == first


def test_one_bad_row_in_the_middle_imports_nothing_and_names_the_row(tmp_path):
    lines = history_csv().splitlines(keepends=True)
    middle = len(lines) // 2
    lines[middle] = lines[middle].replace(",vp-of-product,", ",vp-of-nothing,")
    lines[middle + 3] = lines[middle + 3].replace("2025-0", "2025/0")
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"2 bad row\(s\).*nothing was imported"):
        call_command("import_scorecards", str(write(tmp_path, "".join(lines))), stderr=err)
    assert f"row {middle + 1}: role_profile 'vp-of-nothing' does not exist" in err.getvalue()
    assert f"row {middle + 4}: interviewed_on" in err.getvalue()
    assert Scorecard.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("rating", "5", "rating 5 is not on the 1-4 scale"),
        ("rating", "three", "rating 'three' is not a whole number"),
        ("dimension", "charisma", "dimension 'charisma' is not a dimension of vp-of-product"),
        ("recommendation", "maybe", "recommendation 'maybe' is not one of"),
        ("candidate_email", "not-an-email", "candidate_email 'not-an-email' is not an e-mail"),
    ],
)
def test_each_kind_of_bad_value_is_explained(tmp_path, field, bad, message):
    row = {
        "candidate_email": "a@example.com",
        "candidate_name": "A",
        "requisition": "R",
        "role_profile": "vp-of-product",
        "interviewer_email": "i@example.com",
        "interviewed_on": "2025-01-02",
        "dimension": "communication",
        "rating": "3",
        "recommendation": "yes",
        field: bad,
    }
    text = HEADER + ",".join(row.values()) + "\n"
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_scorecards", str(write(tmp_path, text)), stderr=err)
    assert f"row 2: {message}" in err.getvalue()


def test_a_missing_column_is_named(tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_scorecards", str(write(tmp_path, "candidate_email,rating\n")), stderr=err
        )
    assert "missing column(s): candidate_name" in err.getvalue()


def test_empty_rating_and_recommendation_are_allowed(tmp_path):
    text = HEADER + (
        "a@example.com,A,R,vp-of-product,i@example.com,2025-01-02,communication,,\n"
        "a@example.com,A,R,vp-of-product,i@example.com,2025-01-02,product-strategy,3,\n"
    )
    call_command("import_scorecards", str(write(tmp_path, text)), stdout=io.StringIO())
    ratings = dict(DimensionRating.objects.values_list("dimension__slug", "rating"))
    assert ratings == {"communication": None, "product-strategy": 3}


def test_export_interviewers_finds_the_lenient_interviewer(tmp_path):
    call_command("import_scorecards", str(write(tmp_path, history_csv())), stdout=io.StringIO())
    out = io.StringIO()
    call_command("export_interviewers", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == ["interviewer_email", "ratings", "leniency"]
    leniency = {row["interviewer_email"]: float(row["leniency"]) for row in rows}
    assert max(leniency, key=leniency.get) == "lenny@example.com"
    assert leniency["lenny@example.com"] > 0.4
    others = [value for email, value in leniency.items() if email != "lenny@example.com"]
    assert all(abs(value) < leniency["lenny@example.com"] / 2 for value in others)


def test_export_summaries_recomputes_and_has_the_contract_columns(tmp_path):
    call_command("import_scorecards", str(write(tmp_path, history_csv())), stdout=io.StringIO())
    out = io.StringIO()
    call_command("export_summaries", "--requisition", "VP Product 2025", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == [
        "candidate_email", "requisition", "scorecards", "raw_score", "calibrated_score",
        "calibrated_low", "calibrated_high", "recommendation", "needs_debrief", "reasons",
    ]  # fmt: skip
    assert len(rows) == 30
    assert {row["scorecards"] for row in rows} == {"4"}
    assert all(
        float(r["calibrated_low"]) <= float(r["calibrated_score"]) <= float(r["calibrated_high"])
        for r in rows
    )
    assert {r["recommendation"] for r in rows} <= {"no_hire", "hire", "strong_hire"}
    json_out = io.StringIO()
    call_command("export_summaries", "--format", "json", stdout=json_out)
    data = json.loads(json_out.getvalue())
    assert len(data) == 30
    assert isinstance(data[0]["reasons"], list)
    assert LoopSummary.objects.count() == 30


def test_export_summaries_rejects_an_unknown_requisition():
    with pytest.raises(CommandError, match="No requisition titled 'Nope'"):
        call_command("export_summaries", "--requisition", "Nope", stdout=io.StringIO())


def test_a_lenient_interviewers_ratings_are_corrected_in_the_summary(tmp_path):
    call_command("import_scorecards", str(write(tmp_path, history_csv())), stdout=io.StringIO())
    call_command("export_summaries", stdout=io.StringIO())
    with_lenny = LoopSummary.objects.filter(
        loop__interviews__interviewers__email="lenny@example.com"
    ).distinct()
    assert with_lenny.exists()
    for summary in with_lenny:
        assert summary.calibrated_score is not None
        assert summary.raw_score is not None
        assert summary.calibrated_score < summary.raw_score
