"""Interviewer analytics over the API (issue 18): ``GET /api/v1/insight/interviewers/`` (the
table of the page ``/insight/interviewers/`` with the per-dimension reliability) and
``GET /api/v1/insight/interviewers/{id}/`` (one person, with the leniency trend and the
time-to-feedback distribution). The same reader, the same figures:
``scorecards.analytics.reports.interviewers`` through ``hiring.access``; a person the caller
may not see is a 404."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hiring.api.permissions import request_user
from hiring.api.schema import DocumentedErrors
from scorecards.analytics.reports import interviewers as report
from scorecards.analytics.stats import interviewers as stats


class AgreementShareSerializer(serializers.Serializer[dict[str, Any]]):
    hits = serializers.IntegerField()
    n = serializers.IntegerField(help_text="How many the share is out of.")
    rate = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True, help_text="Wilson 95% interval, lower end.")
    high = serializers.FloatField(allow_null=True)


class LeniencyIntervalSerializer(serializers.Serializer[dict[str, Any]]):
    value = serializers.FloatField(help_text="Rating points; positive = lenient.")
    low = serializers.FloatField(help_text="95% interval.")
    high = serializers.FloatField()
    ratings = serializers.IntegerField()


class InterviewerRowSerializer(serializers.Serializer[dict[str, Any]]):
    interviewer = serializers.IntegerField()
    name = serializers.CharField()
    scorecards = serializers.IntegerField(help_text="Submitted scorecards in the period.")
    median_hours_to_feedback = serializers.FloatField(allow_null=True)
    p90_hours_to_feedback = serializers.FloatField(allow_null=True)
    overdue = AgreementShareSerializer(help_text="Past the first reminder.")
    escalated = AgreementShareSerializer(help_text="Past the recruiter's escalation.")
    leniency = LeniencyIntervalSerializer(allow_null=True)
    panel_agreement = AgreementShareSerializer()
    panel_gap = serializers.FloatField(
        allow_null=True, help_text="Mean |own mean rating - rest of panel's| in rating points."
    )
    panel_gap_loops = serializers.IntegerField()
    decision_agreement = AgreementShareSerializer(
        allow_null=True, help_text="Null for a caller who may not see decisions."
    )


class DimensionReliabilitySerializer(serializers.Serializer[dict[str, Any]]):
    dimension = serializers.IntegerField()
    name = serializers.CharField()
    profile = serializers.CharField()
    ratings = serializers.IntegerField()
    candidates = serializers.IntegerField(help_text="Candidates rated on it at all.")
    icc = serializers.FloatField(allow_null=True, help_text="ICC(1) of single ratings.")
    icc_low = serializers.FloatField(allow_null=True, help_text="95% interval (F-based).")
    icc_high = serializers.FloatField(allow_null=True)
    icc_average = serializers.FloatField(allow_null=True, help_text="ICC(1,k): a panel mean.")
    icc_candidates = serializers.IntegerField(help_text="Candidates rated twice or more.")
    n0 = serializers.FloatField(allow_null=True, help_text="Adjusted panel size.")


class InterviewerReportSerializer(serializers.Serializer[dict[str, Any]]):
    period = serializers.ChoiceField(choices=list(report.PERIODS))
    since = serializers.DateTimeField(allow_null=True)
    scope = serializers.ChoiceField(
        choices=["all", "staff", "own", "none"],
        help_text="all: superuser; staff: your requisitions' loops; own: your own row.",
    )
    interviewers = InterviewerRowSerializer(many=True)
    dimensions = DimensionReliabilitySerializer(many=True)


class LeniencyTrendPointSerializer(serializers.Serializer[dict[str, Any]]):
    fitted_at = serializers.DateTimeField()
    leniency = serializers.FloatField()
    low = serializers.FloatField()
    high = serializers.FloatField()
    ratings = serializers.IntegerField()


class FeedbackBucketSerializer(serializers.Serializer[dict[str, Any]]):
    bucket = serializers.CharField(help_text="A band of time after the interview's end.")
    scorecards = serializers.IntegerField()


class InterviewerDetailSerializer(InterviewerRowSerializer):
    period = serializers.ChoiceField(choices=list(report.PERIODS))
    leniency_trend = LeniencyTrendPointSerializer(many=True)
    time_to_feedback = FeedbackBucketSerializer(many=True)


def _share(share: stats.Share | None) -> dict[str, Any] | None:
    if share is None:
        return None
    low, high = share.interval or (None, None)
    return {"hits": share.hits, "n": share.n, "rate": share.rate, "low": low, "high": high}


def row_json(row: report.InterviewerRow) -> dict[str, Any]:
    lenient = row.leniency
    return {
        "interviewer": row.pk,
        "name": row.name,
        "scorecards": row.scorecards,
        "median_hours_to_feedback": row.feedback.median_hours,
        "p90_hours_to_feedback": row.feedback.p90_hours,
        "overdue": _share(row.overdue),
        "escalated": _share(row.escalated),
        "leniency": None
        if lenient is None
        else {
            "value": lenient.value,
            "low": lenient.low,
            "high": lenient.high,
            "ratings": lenient.ratings,
        },
        "panel_agreement": _share(row.panel),
        "panel_gap": row.panel_gap.value,
        "panel_gap_loops": row.panel_gap.n,
        "decision_agreement": _share(row.decision),
    }


def dimension_json(d: report.DimensionReliability) -> dict[str, Any]:
    icc = d.icc
    return {
        "dimension": d.pk,
        "name": d.name,
        "profile": d.profile,
        "ratings": d.ratings,
        "candidates": d.candidates,
        "icc": icc.icc if icc else None,
        "icc_low": icc.low if icc else None,
        "icc_high": icc.high if icc else None,
        "icc_average": icc.icc_average if icc else None,
        "icc_candidates": icc.candidates if icc else 0,
        "n0": icc.n0 if icc else None,
    }


PERIOD = OpenApiParameter(
    "period",
    OpenApiTypes.STR,
    enum=list(report.PERIODS),
    description="Interviews that ended in the last 90, 180 or 365 days, or all (default 365).",
)
SORT = OpenApiParameter(
    "sort",
    OpenApiTypes.STR,
    enum=list(report.SORTS),
    description="Order of the interviewers (default: name).",
)


def _choice(request: Request, name: str, choices: dict[str, Any], default: str) -> str:
    value = request.query_params.get(name, default)
    if value not in choices:
        raise ValidationError({name: [f"Choose one of: {', '.join(choices)}."]})
    return value


class InterviewerInsightView(DocumentedErrors, APIView):
    @extend_schema(
        operation_id="insight_interviewers_list",
        parameters=[PERIOD, SORT],
        responses={200: InterviewerReportSerializer},
        summary="Interviewer analytics: the caller's interviewers and per-dimension agreement.",
        description=(
            "Per interviewer: submitted scorecards, median and 90th-percentile hours from "
            "the interview's end to the first submission, the overdue and escalated rates "
            "(as the reminders define them), leniency with its 95% interval, agreement with "
            "the rest of the panel and with the decision, each with its count. Per "
            "dimension: ICC(1) with its F-based 95% interval. Superusers read everyone; "
            "recruiters and hiring managers the people on their requisitions' panels, from "
            "those loops only; an interviewer their own row; anyone else nothing."
        ),
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        period = _choice(request, "period", report.PERIODS, report.DEFAULT_PERIOD)
        sort = _choice(request, "sort", report.SORTS, report.DEFAULT_SORT)
        result = report.interviewer_report(user=user, period=period)
        body = {
            "period": result.period,
            "since": result.since,
            "scope": result.scope.kind,
            "interviewers": [row_json(r) for r in report.sort_rows(result.rows, sort)],
            "dimensions": [dimension_json(d) for d in result.dimensions],
        }
        return Response(InterviewerReportSerializer(body).data)


class InterviewerInsightDetailView(DocumentedErrors, APIView):
    @extend_schema(
        operation_id="insight_interviewers_retrieve",
        parameters=[PERIOD],
        responses={200: InterviewerDetailSerializer},
        summary="One interviewer's analytics, with the leniency trend over refits.",
        description=(
            "The person's row of the table, their leniency at each kept calibration refit "
            "(the newest 60, oldest first) and their scorecards by time to feedback. Whoever "
            "may not see the person gets 404."
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        period = _choice(request, "period", report.PERIODS, report.DEFAULT_PERIOD)
        result = report.interviewer_report(user=user, period=period, person_id=pk)
        [row] = result.rows
        body = {
            **row_json(row),
            "period": result.period,
            "leniency_trend": [
                {
                    "fitted_at": p.fitted_at,
                    "leniency": p.leniency,
                    "low": p.low,
                    "high": p.high,
                    "ratings": p.ratings,
                }
                for p in report.leniency_trend(user=user, person_id=pk)
            ],
            "time_to_feedback": [
                {"bucket": label, "scorecards": count}
                for label, count in stats.feedback_histogram(row.hours)
            ],
        }
        return Response(InterviewerDetailSerializer(body).data)
