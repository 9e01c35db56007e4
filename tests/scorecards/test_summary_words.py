"""Numbers a hiring manager can read (issue 15): calibrated scores and their intervals shown on
the rating scale, however far the interval's arithmetic runs past its ends (the API keeps the
raw figures), and "just below the bar" when the bar lies within a score's uncertainty."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from hiring.models import Loop, User
from scorecards.models import LoopSummary
from tests.factories import LoopFactory, RequisitionFactory, UserFactory
from tests.tokens import api_client

pytestmark = pytest.mark.django_db


def stored(loop: Loop, *, score: float, low: float, high: float) -> LoopSummary:
    """A stored summary whose overall and one dimension have the given interval."""
    dimension = loop.requisition.profile.dimensions.order_by("order").first()
    assert dimension is not None
    return LoopSummary.objects.create(
        loop=loop,
        computed_at=timezone.now(),
        model_version="test",
        fingerprint="x",
        recommendation="no_hire",
        calibrated_score=score,
        calibrated_low=low,
        calibrated_high=high,
        raw_score=3.0,
        data={
            "scores": {
                "interval_level": 0.95,
                "dimensions": {
                    dimension.slug: {
                        "raw_mean": 3.0,
                        "calibrated": score,
                        "low": low,
                        "high": high,
                        "n_ratings": 1,
                    }
                },
            },
            "verdict": {"reasons": []},
            "interviewers": {},
        },
    )


@pytest.fixture
def manager() -> User:
    return UserFactory(username="words-manager")


def test_intervals_are_shown_on_the_scale_and_kept_raw_in_the_api(client, manager):
    loop = LoopFactory(requisition=RequisitionFactory(hiring_manager=manager))
    stored(loop, score=3.6, low=2.8, high=5.11)
    client.force_login(manager)

    page = client.get(reverse("scorecards:manager_loop", args=[loop.pk])).content.decode()
    compare = client.get(
        reverse("scorecards:manager_compare", args=[loop.requisition_id])
    ).content.decode()

    assert "3.60 (95% interval 2.80\u20134.00)" in page
    assert "5.11" not in page
    assert "(2.80\u20134.00)" in compare
    assert "5.11" not in compare
    api = api_client(manager)
    body = api.get(f"/api/v1/loops/{loop.pk}/summary/").json()
    assert 5.11 in _numbers(body)


def test_a_score_within_its_uncertainty_of_the_bar_is_just_below_it(client, manager):
    loop = LoopFactory(requisition=RequisitionFactory(hiring_manager=manager))
    stored(loop, score=2.96, low=2.4, high=3.52)
    client.force_login(manager)

    page = client.get(reverse("scorecards:manager_loop", args=[loop.pk])).content.decode()
    compare = client.get(
        reverse("scorecards:manager_compare", args=[loop.requisition_id])
    ).content.decode()

    assert "2.96 (95% interval 2.40\u20133.52), just below the bar (within its uncertainty)" in page
    assert "just below bar" in compare


def _numbers(value: object) -> list[float]:
    if isinstance(value, dict):
        return [n for item in value.values() for n in _numbers(item)]
    if isinstance(value, list):
        return [n for item in value for n in _numbers(item)]
    return [float(value)] if isinstance(value, int | float) and not isinstance(value, bool) else []
