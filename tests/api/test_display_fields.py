"""The API gives the words beside each code (``*_display``): a tool that shows a loop, an
interview, a scorecard, a decision or a summary to a person needs no table of its own, while
programs keep comparing the stable codes."""

from __future__ import annotations

import pytest

from hiring import decisions
from hiring.delivery import outbox
from hiring.models import Decision
from tests.api.conftest import submit_scorecard

pytestmark = pytest.mark.django_db


def test_codes_come_with_the_words_people_read(
    world, recruiter, hiring_manager, interviewer, other_interviewer, api_as
):
    submit_scorecard(world.interview, interviewer, rating=4)
    submit_scorecard(world.other_interview, other_interviewer, rating=4)
    outbox.dispatch()  # the submissions' events compute the summary, as a worker would
    client = api_as(hiring_manager)

    loop = client.get(f"/api/v1/loops/{world.loop.pk}/").json()
    assert (loop["status"], loop["status_display"]) == ("ready_for_debrief", "Ready for debrief")
    requisition = client.get(f"/api/v1/requisitions/{world.requisition.pk}/").json()
    assert (requisition["status"], requisition["status_display"]) == ("open", "Open")
    interview = api_as(recruiter).get(f"/api/v1/interviews/{world.interview.pk}/").json()
    assert interview["status_display"] == dict(world.interview.Status.choices)[interview["status"]]

    scorecard = client.get("/api/v1/scorecards/", {"loop": world.loop.pk}).json()["results"][0]
    assert (scorecard["status"], scorecard["status_display"]) == ("submitted", "Submitted")
    current = scorecard["current"]
    assert (current["overall_recommendation"], current["overall_recommendation_display"]) == (
        "yes",
        "Yes",
    )

    summary = client.get(f"/api/v1/loops/{world.loop.pk}/summary/").json()
    assert (
        summary["recommendation_display"]
        == {
            "incomplete": "Incomplete",
            "no_hire": "No hire",
            "hire": "Hire",
            "strong_hire": "Strong hire",
        }[summary["recommendation"]]
    )
    assert len(summary["reason_messages"]) == len(summary["reasons"]) > 0
    assert all(
        " " in message and "_" not in message.split()[0] for message in summary["reason_messages"]
    )
    # the raw interval stays in the API, unclipped, for whoever analyses it
    assert summary["calibrated_low"] <= summary["calibrated_score"] <= summary["calibrated_high"]

    decisions.decision_record(
        loop=world.loop, by=hiring_manager, outcome=Decision.Outcome.HIRE, rationale="Clear hire."
    )
    decision = client.get("/api/v1/decisions/", {"loop": world.loop.pk}).json()["results"][0]
    assert (decision["outcome"], decision["outcome_display"]) == ("hire", "Hire")
