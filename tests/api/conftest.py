"""API clients for the personas: each signs in with an API token, as another tool would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from hiring.models import Interview, User
from scorecards import services
from scorecards.models import ScorecardRevision
from scorecards.services import RatingInput, ScorecardContent

# Headless Chromium with the strict CSP, shared with the browser tests (docs pages).
from tests.browser.conftest import chromium, chromium_process, csp_page  # noqa: F401
from tests.tokens import bearer


@pytest.fixture
def api_as() -> Callable[[User | None], APIClient]:
    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            # As if used a moment ago: a token's use is written at most once a minute
            # (signin.tokens), so query counts see what the API does, not that bookkeeping.
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer(user, used=True)}")
        return client

    return make


def submit_payload(interview: Interview, rating: int = 3, **extra: Any) -> dict[str, Any]:
    """A complete scorecard for ``interview`` as the API takes it."""
    return {
        "ratings": [
            {"dimension": pk, "rating": rating, "evidence": "Concrete example with numbers."}
            for pk in interview.focus_dimensions.values_list("pk", flat=True)
        ],
        "overall_recommendation": "yes",
        "key_takeaways": "Strong strategist.",
        **extra,
    }


def submit_scorecard(interview: Interview, person: User, rating: int = 3) -> ScorecardRevision:
    """Submit ``person``'s scorecard through the service, as the web form would."""
    scorecard = services.scorecard_get_or_create(interview=interview, interviewer=person)
    content = ScorecardContent(
        ratings={
            pk: RatingInput(rating=rating, evidence="e")
            for pk in interview.focus_dimensions.values_list("pk", flat=True)
        },
        overall_recommendation="yes",
        key_takeaways="ok",
    )
    return services.scorecard_submit(scorecard=scorecard, by=person, content=content)
