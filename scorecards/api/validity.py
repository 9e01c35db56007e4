"""Predictive validity over the API (issue 18): ``GET /api/v1/insight/validity/``, the same
report as /insight/validity/ with the same access rules (``scorecards.analytics.reports.
validity``): superusers, and the staff of a role profile's requisitions; the per-interviewer
rows for superusers and recruiters only (``null`` for anyone else); an interviewer, or a
profile that is not the caller's, is a 404."""

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
from scorecards.analytics.reports import validity as report
from scorecards.analytics.stats import validity as stats


class ValidityCorrelationSerializer(serializers.Serializer[stats.Correlation]):
    n = serializers.IntegerField(help_text="Hires with both a score and an outcome.")
    method = serializers.CharField(help_text="spearman (the figure `r`) or pearson.")
    r = serializers.FloatField(allow_null=True, help_text="Null when withheld.")
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    pearson = serializers.FloatField(allow_null=True)
    level = serializers.FloatField(help_text="The interval's level, e.g. 0.95.")
    resamples = serializers.IntegerField(help_text="Bootstrap resamples behind the interval.")
    withheld = serializers.CharField(help_text='Why withheld: "too_few", "no_spread" or "".')
    message = serializers.CharField(help_text="The reason in words, when withheld.")


class ValidityDimensionSerializer(serializers.Serializer[report.DimensionRow]):
    slug = serializers.CharField()
    name = serializers.CharField()
    weight = serializers.FloatField(help_text="The profile's current weight.")
    validity = ValidityCorrelationSerializer(source="figure")
    suggested_weight = serializers.SerializerMethodField()
    suggestion_reason = serializers.SerializerMethodField(
        help_text='"predicts", "predicts_against" or "unclear"; null without a suggestion.'
    )

    def get_suggested_weight(self, row: report.DimensionRow) -> float | None:
        return None if row.advice is None else row.advice.suggested

    def get_suggestion_reason(self, row: report.DimensionRow) -> str | None:
        return None if row.advice is None else row.advice.reason


class ValidityInterviewerSerializer(serializers.Serializer[report.InterviewerRow]):
    id = serializers.IntegerField(source="user_id")
    name = serializers.CharField()
    validity = ValidityCorrelationSerializer(source="comparison.own")
    panel = ValidityCorrelationSerializer(source="comparison.panel")
    difference = serializers.FloatField(source="comparison.difference", allow_null=True)
    difference_low = serializers.FloatField(source="comparison.low", allow_null=True)
    difference_high = serializers.FloatField(source="comparison.high", allow_null=True)
    noisy = serializers.BooleanField(source="comparison.noisy")


class ValidityProfileSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class ValiditySerializer(serializers.Serializer[report.ValidityReport]):
    profile = ValidityProfileSerializer(allow_null=True, help_text="Null: every role profile.")
    profiles = ValidityProfileSerializer(many=True, help_text="The profiles the caller may read.")
    hires = serializers.IntegerField(source="hired", help_text="Hires the caller may see.")
    with_outcome = serializers.IntegerField(help_text="Of those, hires with an outcome.")
    min_hires = serializers.IntegerField(source="min_n")
    caution = serializers.SerializerMethodField()
    overall = ValidityCorrelationSerializer()
    dimensions = ValidityDimensionSerializer(many=True)
    suggestion = serializers.BooleanField(help_text="Whether any weight is suggested.")
    interviewers = ValidityInterviewerSerializer(
        many=True, allow_null=True, help_text="Null: not the caller's to see."
    )
    interviewers_below_min_hires = serializers.IntegerField(source="interviewers_below_min_n")

    def get_caution(self, _report: report.ValidityReport) -> str:
        return report.RANGE_RESTRICTION


class ValidityView(DocumentedErrors, APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "profile",
                OpenApiTypes.STR,
                description='A role profile\'s id, or "all"; the first readable one if absent.',
            )
        ],
        responses={200: ValiditySerializer},
        summary="How well interview scores predicted outcomes after the hire.",
        description=(
            "For a role profile: the Spearman correlation (Pearson alongside) of each "
            "dimension's calibrated score and of the calibrated overall with the hire's "
            "outcome, with a percentile bootstrap interval and the number of hires; figures "
            "under `min_hires` hires are withheld. Suggested weights are a suggestion only. "
            "Interviewer rows are null unless the caller is a superuser or one of the "
            "profile's recruiters. Interviewers get 404: outcomes never reach them."
        ),
    )
    def get(self, request: Request) -> Response:
        value = request.query_params.get("profile", "").strip()
        if value and value != report.ALL and not value.isdigit():
            raise ValidationError({"profile": ['Write a role profile\'s id, or "all".']})
        data = report.validity_report(request_user(request), value or None)
        return Response(ValiditySerializer(data).data)
