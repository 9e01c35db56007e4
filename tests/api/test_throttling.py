"""A runaway integration is slowed down, not everyone else: past its rate it gets 429 with
Retry-After, while another user's calls still go through."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch):
    rates = {"user": "3/min", "anon": "2/min"}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def test_a_user_past_the_rate_gets_429_with_retry_after(
    low_rates, world, recruiter, hiring_manager, api_as
):
    client = api_as(recruiter)
    answers = [client.get("/api/v1/loops/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    throttled = client.get("/api/v1/loops/")
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["Retry-After"]) <= 60
    # someone else is not held back by it
    assert api_as(hiring_manager).get("/api/v1/loops/").status_code == 200


def test_a_malformed_rate_stops_start_up(monkeypatch):
    from config.settings.base import _rate

    monkeypatch.setenv("API_THROTTLE_USER", "lots")
    with pytest.raises(ImproperlyConfigured, match="API_THROTTLE_USER='lots'"):
        _rate("API_THROTTLE_USER", "1200/min")
    monkeypatch.setenv("API_THROTTLE_USER", "50/s")
    assert _rate("API_THROTTLE_USER", "1200/min") == "50/s"


def test_an_anonymous_caller_cannot_dodge_the_rate_with_a_forged_forwarded_for(low_rates, client):
    """Without a trusted proxy in front (TRUSTED_PROXY_COUNT=0) the connection's address
    counts, whatever X-Forwarded-For a caller makes up."""
    answers = [
        client.get("/api/v1/schema/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(3)
    ]
    assert answers == [200, 200, 429]
