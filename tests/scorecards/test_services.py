"""Drafts never lose input; submission is validated, single and revisioned."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from scorecards import services
from scorecards.models import ScorecardRevision
from scorecards.services import RatingInput, ScorecardContent
from tests.concurrency import collide

pytestmark = pytest.mark.django_db


def focus_ids(interview):
    return [d.pk for d in interview.focus_dimensions.order_by("order")]


def full_content(interview, **overrides):
    content = ScorecardContent(
        ratings={
            pk: RatingInput(rating=3, evidence="Concrete example with numbers.")
            for pk in focus_ids(interview)
        },
        overall_recommendation="yes",
        key_takeaways="Strong strategist.",
    )
    for key, value in overrides.items():
        setattr(content, key, value)
    return content


def test_a_partial_draft_is_saved_as_typed(world, interviewer):
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    first = focus_ids(world.interview)[0]
    content = ScorecardContent(
        ratings={first: RatingInput(rating=2, evidence="Half a thought")}, key_takeaways="WIP"
    )

    draft = services.scorecard_save_draft(scorecard=scorecard, content=content, by=interviewer)

    draft.refresh_from_db()
    assert draft.submitted_at is None
    assert draft.key_takeaways == "WIP"
    assert [(r.rating, r.evidence) for r in draft.ratings.all()] == [(2, "Half a thought")]
    scorecard.refresh_from_db()
    assert scorecard.status == "draft"


def test_submit_lists_every_missing_piece_and_keeps_the_draft(world, interviewer):
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    strategy, communication = focus_ids(world.interview)
    content = ScorecardContent(
        ratings={strategy: RatingInput(rating=3, evidence="")}, key_takeaways="Keep me"
    )
    with pytest.raises(ValidationError) as error:
        services.scorecard_submit(scorecard=scorecard, by=interviewer, content=content)

    messages = error.value.message_dict
    assert messages[f"evidence_{strategy}"] == [
        "Write the evidence behind your Product strategy rating."
    ]
    assert messages[f"rating_{communication}"] == ["Rate Communication or mark it as not assessed."]
    assert "overall_recommendation" in messages
    # nothing typed is lost: the draft is still there, unsubmitted
    draft = ScorecardRevision.objects.get(scorecard=scorecard)
    assert draft.submitted_at is None
    assert draft.key_takeaways == "Keep me"


def test_not_assessed_counts_as_answered(world, interviewer):
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    strategy, communication = focus_ids(world.interview)
    content = full_content(world.interview)
    content.ratings = {
        strategy: RatingInput(rating=4, evidence="Excellent pillars"),
        communication: RatingInput(not_assessed=True),
    }
    revision = services.scorecard_submit(scorecard=scorecard, by=interviewer, content=content)
    assert revision.is_current
    assert {r.dimension_id: r.rating for r in revision.ratings.all()} == {
        strategy: 4,
        communication: None,
    }


def test_a_rating_off_the_scale_is_refused_in_words(world, interviewer):
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    strategy = focus_ids(world.interview)[0]
    content = ScorecardContent(ratings={strategy: RatingInput(rating=7)})
    with pytest.raises(ValidationError, match="Choose a rating from 1 to 4"):
        services.scorecard_save_draft(scorecard=scorecard, content=content, by=interviewer)


def test_only_the_panel_member_writes_the_scorecard(world, interviewer, other_interviewer):
    with pytest.raises(ValidationError):
        services.scorecard_get_or_create(interview=world.interview, interviewer=other_interviewer)
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    with pytest.raises(PermissionDenied):
        services.scorecard_save_draft(
            scorecard=scorecard, content=ScorecardContent(), by=other_interviewer
        )


def test_a_replayed_submit_changes_nothing(world, interviewer):
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    first = services.scorecard_submit(
        scorecard=scorecard, by=interviewer, content=full_content(world.interview)
    )
    again = services.scorecard_submit(
        scorecard=scorecard, by=interviewer, content=full_content(world.interview)
    )
    assert again.pk == first.pk
    assert scorecard.revisions.count() == 1


def test_an_amendment_is_a_new_revision_and_history_keeps_both(world, interviewer):
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    original = services.scorecard_submit(
        scorecard=scorecard, by=interviewer, content=full_content(world.interview)
    )
    with pytest.raises(ValidationError, match="amending"):
        services.scorecard_submit(
            scorecard=scorecard,
            by=interviewer,
            content=full_content(world.interview, amendment_reason=" "),
            amend=True,
        )
    amended = services.scorecard_submit(
        scorecard=scorecard,
        by=interviewer,
        content=full_content(
            world.interview, overall_recommendation="no", amendment_reason="Reference check"
        ),
        amend=True,
    )
    original.refresh_from_db()
    assert (original.number, original.is_current, original.overall_recommendation) == (
        1,
        False,
        "yes",
    )
    assert (amended.number, amended.is_current, amended.overall_recommendation) == (2, True, "no")
    scorecard.refresh_from_db()
    assert scorecard.first_submitted_at == original.submitted_at
    assert scorecard.last_submitted_at == amended.submitted_at


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_threads_submitting_at_once_make_one_submission(world, interviewer):
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    content = full_content(world.interview)
    services.scorecard_save_draft(scorecard=scorecard, content=content, by=interviewer)
    # the second submission starts while the first holds the scorecard's lock
    results = collide(
        lambda _: services.scorecard_submit(scorecard=scorecard, by=interviewer).pk,
        inside=(services, "_replayed_submission"),
    )

    assert len(set(results)) == 1
    assert scorecard.revisions.filter(submitted_at__isnull=False).count() == 1
