"""The demo (issue 18): `make run` leaves a year of monthly calibration refits, so the
interviewer pages show real leniency trends, times to feedback and agreement at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from hiring.models import User
from scorecards.analytics.reports import interviewers as report
from scorecards.demo import INTERVIEWERS, RECRUITER
from scorecards.models import CalibrationRun

pytestmark = pytest.mark.django_db


def test_the_demo_shows_interviewer_trends_and_figures(client, demo):
    assert demo.seeded
    recruiter = User.objects.get(username=RECRUITER.username)
    iris = User.objects.get(username=INTERVIEWERS[0].username)  # the lenient one

    # refits at past dates, each a real fit of the history up to then, and today's
    assert CalibrationRun.objects.count() >= 6
    trend = report.leniency_trend(user=recruiter, person_id=iris.pk)
    assert len(trend) >= 6
    assert trend[0].fitted_at < trend[-1].fitted_at
    assert trend[-1].leniency > 0.1  # she rates high, and the fit finds it

    result = report.interviewer_report(user=recruiter)
    rows = {row.pk: row for row in result.rows}
    row = rows[iris.pk]
    assert row.scorecards >= 10
    assert row.feedback.median_hours is not None
    assert row.panel.n > 0
    assert row.decision is not None
    assert row.decision.n > 0
    assert any(d.icc is not None for d in result.dimensions)

    client.force_login(recruiter)
    page = client.get(reverse("scorecards:insight_interviewer", args=[iris.pk]))
    assert page.content.decode().count('class="point"') == len(trend)
