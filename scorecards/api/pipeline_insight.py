"""Pipeline analytics of one requisition over the API (issue 18):
``GET /api/v1/insight/requisitions/{id}/``, the figures of the page
``/insight/requisitions/<id>/`` as JSON. The requisition's recruiters and hiring manager, and
superusers, read it; anyone else gets 404 (``scorecards.analytics.reports.pipeline``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hiring.api.permissions import request_user
from hiring.api.schema import DocumentedErrors
from scorecards.analytics.reports import pipeline as report
from scorecards.analytics.stats.pipeline import Spread


class PipelineSpreadSerializer(serializers.Serializer[dict[str, Any]]):
    n = serializers.IntegerField(help_text="How many values the figures come from.")
    median_days = serializers.FloatField(allow_null=True)
    p90_days = serializers.FloatField(allow_null=True, help_text="90th percentile.")


class PipelineWeekSerializer(serializers.Serializer[dict[str, Any]]):
    week_start = serializers.DateField(help_text="The Monday starting the week.")
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Stage → loops in it at the week's end (the current week: now).",
    )


class PipelineStageTimeSerializer(PipelineSpreadSerializer):
    stage = serializers.CharField()
    stage_label = serializers.CharField()


class PipelineSlotSerializer(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField()
    reached = serializers.IntegerField(help_text="Loops that had this interview.")
    went_on = serializers.IntegerField(
        allow_null=True, help_text="Of those, loops that had the next one (null: the last)."
    )
    hired = serializers.IntegerField(help_text="Of those, loops decided hire.")


class PipelinePassThroughSerializer(serializers.Serializer[dict[str, Any]]):
    plan = serializers.ChoiceField(
        choices=["requisition", "role profile", ""],
        help_text="Whose interview plan the requisition follows (empty: none).",
    )
    slots = PipelineSlotSerializer(many=True)


class PipelineCellSerializer(serializers.Serializer[dict[str, Any]]):
    recommended = serializers.ChoiceField(choices=list(report.RECOMMENDED_LABELS))
    decided = serializers.ChoiceField(choices=list(report.DECIDED_LABELS))
    loops = serializers.IntegerField()


class PipelineAgreementSerializer(serializers.Serializer[dict[str, Any]]):
    recommendation_source = serializers.CharField(help_text="Where the recommendation comes from.")
    cells = PipelineCellSerializer(many=True)
    clear = serializers.IntegerField(help_text="Decisions against a hire or no-hire advice.")
    against = serializers.IntegerField()
    hired_against_no_hire = serializers.IntegerField()
    not_hired_against_hire = serializers.IntegerField()
    against_share = serializers.FloatField(allow_null=True)
    left_out_blind_rule = serializers.IntegerField(
        help_text="Decided loops left out: the caller still owes a scorecard on them."
    )
    without_summary = serializers.IntegerField()


class PipelineInsightSerializer(serializers.Serializer[dict[str, Any]]):
    requisition = serializers.IntegerField()
    title = serializers.CharField()
    as_of = serializers.DateTimeField()
    loops = serializers.IntegerField()
    stages_now = serializers.DictField(child=serializers.IntegerField())
    weekly = PipelineWeekSerializer(many=True)
    time_in_stage = PipelineStageTimeSerializer(many=True)
    first_interview_to_decision = PipelineSpreadSerializer()
    pass_through = PipelinePassThroughSerializer()
    recommendations_vs_decisions = PipelineAgreementSerializer()
    backfilled_loops = serializers.IntegerField(
        help_text="Loops older than the stage history, whose stages were reconstructed."
    )


def _spread(spread: Spread) -> dict[str, Any]:
    return {"n": spread.n, "median_days": spread.median, "p90_days": spread.p90}


def as_json(figures: report.PipelineReport) -> dict[str, Any]:
    agreement = figures.agreement
    return {
        "requisition": figures.requisition.pk,
        "title": figures.requisition.title,
        "as_of": figures.now,
        "loops": figures.loops,
        "stages_now": figures.stage_now,
        "weekly": [{"week_start": w.start, "counts": w.counts} for w in figures.weeks],
        "time_in_stage": [
            {"stage": t.stage, "stage_label": t.label, **_spread(t.days)}
            for t in figures.time_in_stage
        ],
        "first_interview_to_decision": _spread(figures.to_decision),
        "pass_through": {
            "plan": figures.plan_source,
            "slots": [
                {
                    "title": s.title,
                    "reached": s.passage.reached,
                    "went_on": s.passage.went_on,
                    "hired": s.passage.hired,
                }
                for s in figures.slots
            ],
        },
        "recommendations_vs_decisions": {
            "recommendation_source": figures.recommendation_source,
            "cells": [
                {"recommended": r, "decided": d, "loops": agreement.count(r, d)}
                for r in report.RECOMMENDED_LABELS
                for d in report.DECIDED_LABELS
            ],
            "clear": agreement.clear,
            "against": agreement.against,
            "hired_against_no_hire": agreement.hired_against,
            "not_hired_against_hire": agreement.declined_against,
            "against_share": agreement.against_share,
            "left_out_blind_rule": figures.decided_hidden,
            "without_summary": figures.decided_without_summary,
        },
        "backfilled_loops": figures.backfilled_loops,
    }


class PipelineInsightView(DocumentedErrors, APIView):
    @extend_schema(
        responses={200: PipelineInsightSerializer},
        summary="A requisition's pipeline analytics (its recruiters and hiring manager).",
        description=(
            "Loops by stage at the end of each week (the last 26), median and 90th-percentile "
            "days in each open stage (finished stays) and from first interview to decision, "
            "pass-through by interview-plan slot, and the panel's recommendations against the "
            "decisions. A decision on a loop where the caller still owes a scorecard is left "
            "out (the blind rule) and counted in `left_out_blind_rule`. Anyone but the "
            "requisition's staff (and superusers) gets 404."
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        requisition = report.requisition_get(user=user, pk=pk)
        figures = report.pipeline_report(user=user, requisition=requisition)
        return Response(PipelineInsightSerializer(as_json(figures)).data)
