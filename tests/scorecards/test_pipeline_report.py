"""Issue 18, pipeline analytics per requisition: the report's figures on a small requisition
built by hand (known dates, so known medians), who may read it, the blind rule, and a
constant number of queries however many loops there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from hiring.models import Decision, Loop, LoopStageChange
from scorecards.analytics.reports import pipeline as report
from scorecards.models import LoopSummary
from tests.factories import LoopFactory, RequisitionFactory, UserFactory
from tests.scorecards.pipeline_world import (
    NOW,
    add_loops,
    interview,
    nov,
    pipeline_fixture,  # noqa: F401 (the fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_the_figures_of_a_small_requisition(pipeline, recruiter):
    figures = report.pipeline_report(user=recruiter, requisition=pipeline.requisition, now=NOW)

    assert figures.loops == 4
    assert figures.stage_now == {
        "scheduling": 0,
        "in_progress": 1,
        "awaiting_feedback": 0,
        "ready_for_debrief": 0,
        "decided": 2,
        "withdrawn": 1,
    }
    # loops by stage at the end of each week (the current week: now)
    weeks = {str(w.start): {k: v for k, v in w.counts.items() if v} for w in figures.weeks}
    assert weeks == {
        "2026-11-02": {"ready_for_debrief": 1, "in_progress": 1},
        "2026-11-09": {"decided": 2, "in_progress": 1},
        "2026-11-16": {"decided": 2, "in_progress": 1, "withdrawn": 1},
        "2026-11-23": {"decided": 2, "in_progress": 1, "withdrawn": 1},
    }
    # finished stays, in days: scheduling 2, 2, 1, 2; in progress 2 and 7 (C's goes on)
    stages = {t.stage: t.days for t in figures.time_in_stage}
    assert (stages["scheduling"].n, stages["scheduling"].median) == (4, 2.0)
    assert (stages["in_progress"].n, stages["in_progress"].median) == (2, 4.5)
    assert stages["in_progress"].p90 == pytest.approx(6.5)
    assert (stages["ready_for_debrief"].n, stages["ready_for_debrief"].median) == (1, 3.0)
    assert stages["awaiting_feedback"].n == 0
    # first interview to decision: 5 and 7 days
    assert figures.to_decision.n == 2
    assert figures.to_decision.median == pytest.approx(6.0)
    assert figures.to_decision.p90 == pytest.approx(6.8)
    # the screen: A, B and C had it; only A went on to the case study (C's is to come)
    assert figures.plan_source == "requisition"
    assert [
        (s.title, s.passage.reached, s.passage.went_on, s.passage.hired) for s in figures.slots
    ] == [
        ("Screen", 3, 1, 1),
        ("Case study", 1, None, 1),
    ]
    # recommended hire twice: hired once, turned down once (against the recommendation)
    assert figures.agreement.count("hire", "hire") == 1
    assert figures.agreement.declined_against == 1
    assert figures.agreement.hired_against == 0
    assert figures.agreement.against_share == pytest.approx(0.5)
    assert (figures.decided_hidden, figures.decided_without_summary) == (0, 0)


def test_a_loop_made_outside_the_services_starts_where_its_first_change_left(pipeline, recruiter):
    # added through a form that wrote no creation row, then moved on by the interviews
    loop = LoopFactory(requisition=pipeline.requisition)
    Loop.objects.filter(pk=loop.pk).update(created_at=nov(19), status=Loop.Status.IN_PROGRESS)
    LoopStageChange.objects.create(
        loop=loop, from_status="scheduling", to_status="in_progress", at=nov(21)
    )
    # and one with no history at all (an old import): in its stage since it was created
    old = LoopFactory(requisition=pipeline.requisition)
    Loop.objects.filter(pk=old.pk).update(created_at=nov(17), status=Loop.Status.DECIDED)

    figures = report.pipeline_report(user=recruiter, requisition=pipeline.requisition, now=NOW)

    scheduling = next(t.days for t in figures.time_in_stage if t.stage == "scheduling")
    assert (scheduling.n, scheduling.median) == (5, 2.0)  # 2, 2, 1, 2 and this one's 2
    [week] = [w for w in figures.weeks if str(w.start) == "2026-11-16"]
    assert week.counts["in_progress"] == 2  # C, and this one
    assert week.counts["decided"] == 3  # A, B and the old one


def test_a_split_panel_counts_as_mixed(pipeline, recruiter):
    LoopSummary.objects.filter(loop=pipeline.declined).update(
        data={"verdict": {"reasons": [{"code": "split_recommendations"}]}}
    )
    figures = report.pipeline_report(user=recruiter, requisition=pipeline.requisition, now=NOW)
    assert figures.agreement.count("mixed", "no_hire") == 1
    assert figures.agreement.against == 0


def test_the_blind_rule_leaves_out_a_decision_the_reader_may_not_read(
    pipeline, hiring_manager, recruiter
):
    # the hiring manager sits on B's panel and still owes the scorecard
    interview(pipeline.declined, pipeline.slots[1], nov(6, 10), [hiring_manager])
    figures = report.pipeline_report(user=hiring_manager, requisition=pipeline.requisition, now=NOW)
    assert figures.decided_hidden == 1
    assert figures.agreement.total == 1
    assert figures.agreement.declined_against == 0
    assert figures.to_decision.n == 1
    # the recruiter owes nothing and sees both
    assert (
        report.pipeline_report(
            user=recruiter, requisition=pipeline.requisition, now=NOW
        ).agreement.total
        == 2
    )


def test_only_the_requisition_staff_and_superusers_may_read_it(
    pipeline, recruiter, hiring_manager, interviewer, outsider
):
    pk = pipeline.requisition.pk
    assert report.requisition_get(user=recruiter, pk=pk) == pipeline.requisition
    assert report.requisition_get(user=hiring_manager, pk=pk) == pipeline.requisition
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert report.requisition_get(user=admin, pk=pk) == pipeline.requisition
    # an interviewer on the panel, another requisition's recruiter, anyone else: 404
    on_panel = pipeline.panelist
    other_recruiter = UserFactory(is_staff=True)
    RequisitionFactory(recruiters=[other_recruiter])
    for reader in (on_panel, interviewer, other_recruiter, outsider):
        with pytest.raises(Http404):
            report.requisition_get(user=reader, pk=pk)
        assert pipeline.requisition not in report.requisitions_for(reader)
        assert pipeline.requisition.pk not in [
            h.requisition.pk for h in report.requisitions_overview(user=reader)
        ]


def test_the_overview_has_each_requisitions_headline(pipeline, recruiter):
    [headline] = report.requisitions_overview(user=recruiter)
    assert (headline.loops, headline.open, headline.hired) == (4, 1, 1)
    assert (headline.to_decision.n, headline.to_decision.median) == (2, pytest.approx(6.0))


def test_queries_stay_constant_as_loops_grow(pipeline, recruiter, hiring_manager):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            report.pipeline_report(user=recruiter, requisition=pipeline.requisition, now=NOW)
            report.requisitions_overview(user=recruiter)
        return len(queries)

    add_loops(pipeline.requisition, pipeline.slots, hiring_manager, 1)
    few = count()
    add_loops(pipeline.requisition, pipeline.slots, hiring_manager, 12)
    assert count() == few
    assert (
        report.pipeline_report(user=recruiter, requisition=pipeline.requisition, now=NOW).loops
        == 17
    )
    assert Decision.objects.filter(loop__requisition=pipeline.requisition).count() == 15


def test_a_decision_is_set_against_the_recommendation_it_was_made_with(pipeline, recruiter):
    # the manager declined against a "hire"; a later amendment turned the summary to no hire
    Decision.objects.filter(loop=pipeline.declined, is_current=True).update(recommendation="hire")
    LoopSummary.objects.filter(loop=pipeline.declined).update(recommendation="no_hire")

    figures = report.pipeline_report(user=recruiter, requisition=pipeline.requisition, now=NOW)

    assert figures.agreement.count("hire", "no_hire") == 1
    assert figures.agreement.declined_against == 1
    # and one recorded while the panel split counts as mixed, whatever the summary says now
    Decision.objects.filter(loop=pipeline.declined, is_current=True).update(panel_split=True)
    figures = report.pipeline_report(user=recruiter, requisition=pipeline.requisition, now=NOW)
    assert figures.agreement.count("mixed", "no_hire") == 1
