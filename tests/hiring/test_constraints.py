"""Rules the database itself enforces, whatever code path writes."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from hiring.models import Decision
from scorecards.models import Scorecard
from tests.factories import (
    DecisionFactory,
    DimensionRatingFactory,
    InterviewFactory,
    ScorecardFactory,
    ScorecardRevisionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def assert_refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_one_scorecard_per_interview_and_interviewer():
    scorecard = ScorecardFactory()
    assert_refused(
        lambda: Scorecard.objects.create(
            interview=scorecard.interview, interviewer=scorecard.interviewer
        )
    )


def test_rating_must_lie_on_the_scale_in_force():
    DimensionRatingFactory(rating=4, scale_max=4)
    assert_refused(lambda: DimensionRatingFactory(rating=5, scale_max=4))
    assert_refused(lambda: DimensionRatingFactory(rating=0, scale_max=4))
    DimensionRatingFactory(rating=5, scale_max=5)


def test_not_assessed_carries_no_rating():
    DimensionRatingFactory(rating=None, not_assessed=True)
    assert_refused(lambda: DimensionRatingFactory(rating=3, not_assessed=True))


def test_interview_ends_after_it_starts():
    start = timezone.now()
    assert_refused(lambda: InterviewFactory(starts_at=start, ends_at=start))
    assert_refused(lambda: InterviewFactory(starts_at=start, ends_at=start - timedelta(minutes=5)))


def test_one_open_draft_and_one_current_revision_per_scorecard():
    revision = ScorecardRevisionFactory()
    assert_refused(lambda: ScorecardRevisionFactory(scorecard=revision.scorecard, number=2))
    now = timezone.now()
    ScorecardRevisionFactory(
        scorecard=revision.scorecard,
        number=2,
        submitted_at=now,
        is_current=True,
        overall_recommendation="yes",
    )
    assert_refused(
        lambda: ScorecardRevisionFactory(
            scorecard=revision.scorecard,
            number=3,
            submitted_at=now,
            is_current=True,
            overall_recommendation="no",
        )
    )


def test_submitted_revision_needs_a_recommendation():
    assert_refused(lambda: ScorecardRevisionFactory(submitted_at=timezone.now()))


def test_scorecard_status_matches_its_submission_time():
    assert_refused(lambda: ScorecardFactory(status="submitted"))


def test_decision_needs_rationale_and_only_one_is_current():
    decision = DecisionFactory()
    assert_refused(lambda: DecisionFactory(rationale=""))
    assert_refused(lambda: DecisionFactory(loop=decision.loop))
    Decision.objects.filter(pk=decision.pk).update(is_current=False)
    DecisionFactory(loop=decision.loop, outcome=Decision.Outcome.NO_HIRE)
    assert decision.loop.decisions.count() == 2


def test_user_and_candidate_emails_are_unique_ignoring_case():
    UserFactory(username="a", email="Same@Example.com")
    assert_refused(lambda: UserFactory(username="b", email="same@example.com"))
