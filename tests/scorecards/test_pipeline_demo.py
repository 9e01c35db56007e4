"""The demo's pipeline analytics (issue 18): after `make run`'s seeding, every requisition the
recruiter runs has a stage history that starts where each loop was created and ends in the
stage it is in now, and the reports show figures: several weeks of loops by stage, time in
each stage, first interview to decision, pass-through, and recommendations against
decisions."""

from __future__ import annotations

from itertools import pairwise

import pytest
from django.urls import reverse

from hiring import access
from hiring.models import Loop, LoopStageChange, Requisition, User
from scorecards.analytics.reports import pipeline as report
from scorecards.demo import RECRUITER

pytestmark = pytest.mark.django_db


def test_the_demo_requisitions_show_their_pipeline(settings, client, demo):
    settings.VALIDITY_RESAMPLES = 300
    assert demo.seeded
    # every loop's history starts with its creation, stays in order and ends where it is now
    for loop in Loop.objects.all():
        changes = list(LoopStageChange.objects.filter(loop=loop).order_by("at", "pk"))
        assert changes, loop
        assert changes[0].from_status == ""
        assert changes[-1].to_status == loop.status, loop
        assert all(a.to_status == b.from_status for a, b in pairwise(changes)), loop

    recruiter = User.objects.get(username=RECRUITER.username)
    payments = Requisition.objects.get(title="VP of Product, Payments")
    live = report.pipeline_report(user=recruiter, requisition=payments)
    assert live.loops >= 6
    assert sum(1 for week in live.weeks if week.total) >= 2
    assert {t.stage for t in live.time_in_stage if t.days.n} >= {"scheduling", "in_progress"}
    assert live.plan_source == "role profile"
    assert sum(s.passage.reached for s in live.slots) >= 5
    assert payments.pk in [h.requisition.pk for h in report.requisitions_overview(user=recruiter)]

    # The decided history of a closed requisition, where the demo seeds one (issue 18's
    # outcomes): decisions to compare with the recommendations, and their timings.
    history = Requisition.objects.filter(title="VP of Product, Platform (2025)").first()
    if history is not None:
        past = report.pipeline_report(user=recruiter, requisition=history)
        assert len(past.weeks) == report.WEEKS_SHOWN
        assert past.to_decision.n >= 20
        assert past.agreement.clear >= 10

    # and the recruiter's pages render them, charts and all
    client.force_login(recruiter)
    listing = client.get(reverse("scorecards:insight_requisitions"))
    assert payments.title in listing.content.decode()
    for requisition in Requisition.objects.filter(pk__in=access.requisitions_staffed(recruiter)):
        page = client.get(reverse("scorecards:insight_requisition", args=[requisition.pk]))
        assert page.status_code == 200
        assert b'<svg xmlns="http://www.w3.org/2000/svg" class="chart stages"' in page.content
