"""The summary API gives each dimension's scores (issue 18, items 6 and 7): the plain
calibrated mean and the precision-aware shrunk score the overall uses, with their intervals
and how many ratings stand behind them, as the summary page shows them."""

from __future__ import annotations

from collections import Counter

import pytest

from scorecards.calibration import summaries
from scorecards.models import DimensionRating
from tests.scorecards.test_summaries import submit
from tests.tokens import api_client

pytestmark = pytest.mark.django_db


def test_each_rated_dimension_comes_with_its_shrunk_score_and_interval(
    world, hiring_manager, interviewer, other_interviewer
):
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=2)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    counts = Counter(
        DimensionRating.objects.filter(
            revision__scorecard__interview__loop=world.loop, rating__isnull=False
        ).values_list("dimension__slug", flat=True)
    )

    body = api_client(hiring_manager).get(f"/api/v1/loops/{world.loop.pk}/summary/").json()

    dimensions = body["dimensions"]
    assert set(dimensions) == set(counts)
    for slug, scores in dimensions.items():
        assert scores["n_ratings"] == counts[slug]
        assert scores["shrunk_low"] <= scores["shrunk"] <= scores["shrunk_high"]
        assert scores["low"] <= scores["calibrated"] <= scores["high"]
        assert 0 <= scores["pull"] <= 1
    # a dimension rated once leans on the rest of the loop at least as much as one rated twice
    once = [dimensions[s]["pull"] for s, n in counts.items() if n == 1]
    twice = [dimensions[s]["pull"] for s, n in counts.items() if n >= 2]
    if once and twice:
        assert min(once) >= max(twice)


def test_an_interviewer_gets_no_scores_of_a_loop_they_may_not_see(world, interviewer):
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    response = api_client(interviewer).get(f"/api/v1/loops/{world.loop.pk}/summary/")
    assert response.status_code in (403, 404)
    assert "dimensions" not in response.json()
