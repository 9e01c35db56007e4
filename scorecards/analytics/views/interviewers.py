"""Interviewer analytics pages (issue 18): the table of interviewers, one person's page
(leniency trend, time-to-feedback distribution) and the table's CSV export. What each reader
sees is ``scorecards.analytics.reports.interviewers``'s (through ``hiring.access``): a person
the reader may not see is a 404, and a reader who may see nobody gets an empty table."""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hiring.models import User
from hiring.spreadsheets import safe_cell
from scorecards.analytics.reports import interviewers as report
from scorecards.analytics.stats import interviewers as stats
from scorecards.analytics.views import charts

PAGE_SIZE = 50
PERIOD_LABELS = {
    "90": "Last 90 days",
    "180": "Last 180 days",
    "365": "Last 12 months",
    "all": "All time",
}
CSV_COLUMNS = (
    "interviewer",
    "email",
    "scorecards",
    "median_hours_to_feedback",
    "p90_hours_to_feedback",
    "overdue",
    "overdue_of",
    "overdue_rate",
    "escalated",
    "escalated_of",
    "escalated_rate",
    "leniency",
    "leniency_low",
    "leniency_high",
    "leniency_ratings",
    "panel_agreement",
    "panel_agreement_of",
    "panel_gap",
    "panel_gap_loops",
    "decision_agreement",
    "decision_agreement_of",
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _period(request: HttpRequest) -> str:
    value = request.GET.get("period", report.DEFAULT_PERIOD)
    return value if value in report.PERIODS else report.DEFAULT_PERIOD


def _reliability_chart(dimensions: list[report.DimensionReliability]) -> Any:
    # The role profile in the label only where dimensions of several profiles are shown.
    several = len({d.profile for d in dimensions}) > 1
    rows = [
        charts.ReliabilityRow(
            label=f"{d.name} ({d.profile})" if several else d.name,
            icc=d.icc.icc if d.icc else None,
            low=d.icc.low if d.icc else None,
            high=d.icc.high if d.icc else None,
            candidates=d.icc.candidates if d.icc else d.candidates,
        )
        for d in dimensions
    ]
    return charts.reliability(rows=rows) if rows else None


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def interviewer_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    period = _period(request)
    sort = request.GET.get("sort", report.DEFAULT_SORT)
    sort = sort if sort in report.SORTS else report.DEFAULT_SORT
    result = report.interviewer_report(user=user, period=period)
    rows = report.sort_rows(result.rows, sort)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))

    def query(**changes: str) -> str:
        params = {"period": period, "sort": sort} | changes
        return urlencode({k: v for k, v in params.items() if v})

    context = {
        "result": result,
        "page": page,
        "rows": page.object_list,
        "period": period,
        "periods": list(PERIOD_LABELS.items()),
        "period_label": PERIOD_LABELS[period],
        "sort": sort,
        "sorts": list(report.SORTS.items()),
        "previous_query": query(page=str(page.previous_page_number()))
        if page.has_previous()
        else None,
        "next_query": query(page=str(page.next_page_number())) if page.has_next() else None,
        "csv_query": query(),
        "reliability_chart": _reliability_chart(result.dimensions),
        "own_only": result.scope.own_only,
    }
    return render(request, "scorecards/analytics/interviewers.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def interviewer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    period = _period(request)
    result = report.interviewer_report(user=user, period=period, person_id=pk)
    [row] = result.rows
    trend = report.leniency_trend(user=user, person_id=pk)
    context = {
        "result": result,
        "row": row,
        "period": period,
        "periods": list(PERIOD_LABELS.items()),
        "period_label": PERIOD_LABELS[period],
        "trend": trend,
        "trend_chart": charts.leniency_trend(
            points=[
                charts.TrendPoint(p.fitted_at, p.leniency, p.low, p.high, p.ratings) for p in trend
            ]
        ),
        "feedback_chart": charts.feedback_distribution(buckets=stats.feedback_histogram(row.hours)),
        "reliability_chart": _reliability_chart(result.dimensions),
        "own_page": pk == user.pk,
    }
    return render(request, "scorecards/analytics/interviewer.html", context)


def _round(value: float | None, digits: int = 3) -> float | str:
    return "" if value is None else round(value, digits)


def csv_row(row: report.InterviewerRow) -> list[Any]:
    lenient = row.leniency
    decision = row.decision
    return [
        row.name,
        row.email,
        row.scorecards,
        _round(row.feedback.median_hours, 2),
        _round(row.feedback.p90_hours, 2),
        row.overdue.hits,
        row.overdue.n,
        _round(row.overdue.rate),
        row.escalated.hits,
        row.escalated.n,
        _round(row.escalated.rate),
        _round(lenient.value if lenient else None),
        _round(lenient.low if lenient else None),
        _round(lenient.high if lenient else None),
        lenient.ratings if lenient else "",
        row.panel.hits,
        row.panel.n,
        _round(row.panel_gap.value),
        row.panel_gap.n,
        decision.hits if decision else "",
        decision.n if decision else "",
    ]


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def interviewer_csv(request: HttpRequest) -> HttpResponse:
    """The table as CSV, every row the reader may see (no pages), text cells made safe for
    spreadsheets (``hiring.spreadsheets.safe_cell``)."""
    user = _user(request)
    period = _period(request)
    sort = request.GET.get("sort", report.DEFAULT_SORT)
    result = report.interviewer_report(user=user, period=period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="interviewers-{period}.csv"'
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.sort_rows(result.rows, sort):
        writer.writerow([safe_cell(value) for value in csv_row(row)])
    return response
