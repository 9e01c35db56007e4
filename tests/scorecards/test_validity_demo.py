"""The demo's history (issue 18): `make run` seeds a closed requisition with decided loops and
outcomes after the hire, so the predictive validity report shows real figures at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hiring.models import HireOutcome, Loop, User
from scorecards.analytics.reports import validity as report
from scorecards.demo import HIRING_MANAGER, RECRUITER, seed_demo

pytestmark = pytest.mark.django_db


def test_the_demo_has_hires_with_outcomes_and_the_report_shows_figures(settings, demo):
    settings.VALIDITY_RESAMPLES = 300
    assert demo.seeded
    history = Loop.objects.filter(requisition__title="VP of Product, Platform (2025)")
    assert history.count() == 80
    assert not history.filter(summary__isnull=True).exists()  # summaries computed
    outcomes = HireOutcome.objects.filter(loop__in=history)
    assert outcomes.filter(months=6).count() >= 20
    assert outcomes.filter(months=12).exists()
    assert outcomes.filter(still_employed=False, regretted=False).exists()
    # a recent hire who left before the 6-month checkpoint, recorded as it happened
    gone = outcomes.get(months=6, still_employed=False, regretted=True)
    assert gone.recorded_at < gone.loop.decisions.get(is_current=True).decided_at + timedelta(
        days=183
    )

    recruiter = User.objects.get(username=RECRUITER.username)
    data = report.validity_report(recruiter, None)
    assert data.profile is not None
    assert data.profile.slug == "vp-of-product"
    assert data.with_outcome >= 20
    assert data.overall.shown
    assert data.overall.clearly_positive
    assert sum(row.figure.clearly_positive for row in data.dimensions) >= 2
    assert data.suggestion
    assert data.interviewers  # the demo's interviewers each sat on enough hires
    # The hiring manager reads the same figures, without the interviewers.
    manager = User.objects.get(username=HIRING_MANAGER.username)
    assert report.validity_report(manager, None).interviewers is None
    # Seeding again changes nothing.
    assert not seed_demo()
    assert Loop.objects.filter(requisition__title="VP of Product, Platform (2025)").count() == 80
