"""The scorecard API reads revisions and ratings attribute by attribute (DRF's generic walk
was most of a scorecard list's CPU): what it answers must stay exactly what the walk gave,
timestamps in the reader's zone included."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework import serializers

from hiring.models import User
from scorecards import services
from scorecards.api.serializers import DimensionRatingSerializer, RevisionSerializer
from scorecards.models import ScorecardRevision
from scorecards.services import RatingInput, ScorecardContent

pytestmark = pytest.mark.django_db


def generic(serializer: serializers.ModelSerializer, instance: object) -> dict[str, object]:
    """What DRF's own field-by-field ``to_representation`` gives for ``instance``."""
    return dict(serializers.ModelSerializer.to_representation(serializer, instance))


def amended_revision(world, interviewer: User) -> ScorecardRevision:
    """A submitted scorecard with a rating left unassessed, a signal-free amendment and
    evidence with markup in it: the values a shortcut could render differently."""
    dimensions = list(world.interview.focus_dimensions.values_list("pk", flat=True))
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    ratings = {pk: RatingInput(rating=3, evidence="<b>Concrete</b> & clear") for pk in dimensions}
    ratings[dimensions[0]] = RatingInput(rating=None, not_assessed=True, evidence="")
    content = ScorecardContent(
        ratings=ratings, overall_recommendation="strong_yes", key_takeaways="Strong."
    )
    services.scorecard_submit(scorecard=scorecard, by=interviewer, content=content)
    amended = ScorecardContent(
        ratings=ratings,
        overall_recommendation="yes",
        key_takeaways="On reflection.",
        amendment_reason="Misread the bar.",
    )
    return services.scorecard_submit(
        scorecard=scorecard, by=interviewer, content=amended, amend=True
    )


def test_a_revision_reads_as_drf_would_render_it(world, interviewer):
    revision = amended_revision(world, interviewer)
    revision = ScorecardRevision.objects.prefetch_related("ratings", "signals", "red_flags").get(
        pk=revision.pk
    )

    # In a zone other than the server's, as UserTimeZoneMiddleware activates for a reader
    with timezone.override("America/Los_Angeles"):
        fast = RevisionSerializer(context={}).to_representation(revision)
        walked = generic(RevisionSerializer(context={}), revision)

    assert fast == walked
    assert list(fast) == list(walked)  # the same keys in the same order
    assert fast["submitted_at"].endswith("-08:00") or fast["submitted_at"].endswith("-07:00")
    assert fast["amendment_reason"] == "Misread the bar."


def test_each_rating_reads_as_drf_would_render_it(world, interviewer):
    revision = amended_revision(world, interviewer)

    for rating in revision.ratings.all():
        fast = DimensionRatingSerializer().to_representation(rating)
        assert fast == generic(DimensionRatingSerializer(), rating)
        assert list(fast) == ["dimension", "rating", "not_assessed", "evidence"]
    assert any(r.rating is None for r in revision.ratings.all())
