"""Pipeline analytics pages (issue 18): the requisitions the reader may see with their
headline figures, one requisition's report with its charts, and that report as CSV. Who may
read them is ``scorecards.analytics.reports.pipeline``'s (through ``hiring.access``): the
requisition's recruiters and hiring manager, and superusers; anyone else gets a 404."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hiring.models import User
from hiring.spreadsheets import safe_cell
from scorecards.analytics.reports import pipeline as report
from scorecards.analytics.views import pipeline_charts as charts

CSV_COLUMNS = ("figure", "group", "item", "value", "n")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _round(value: float | None) -> float | str:
    return "" if value is None else round(value, 2)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def requisition_list(request: HttpRequest) -> HttpResponse:
    headlines = report.requisitions_overview(user=_user(request))
    return render(request, "scorecards/analytics/pipeline_list.html", {"headlines": headlines})


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def requisition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    requisition = report.requisition_get(user=user, pk=pk)
    figures = report.pipeline_report(user=user, requisition=requisition)
    stages_chart = charts.stages_over_time(
        weeks=[
            charts.WeekBar(label=f"{w.start.day} {w.start:%b}", counts=w.counts)
            for w in figures.weeks
        ],
        stages=figures.stages,
    )
    time_chart = charts.time_in_stage(
        rows=[
            charts.StageBar(t.label, t.days.n, t.days.median, t.days.p90)
            for t in figures.time_in_stage
        ]
    )
    context: dict[str, Any] = {
        "requisition": requisition,
        "figures": figures,
        "stages_chart": stages_chart,
        "time_chart": time_chart,
        "stage_now": [
            (label, figures.stage_now[code])
            for code, label in figures.stages
            if figures.stage_now[code]
        ],
        "agreement_rows": [
            (code, label, list(zip(counts, report.DECIDED_LABELS.values(), strict=True)))
            for code, label, counts in figures.agreement_rows()
        ],
        "decided_labels": list(report.DECIDED_LABELS.values()),
    }
    return render(request, "scorecards/analytics/pipeline.html", context)


def csv_rows(figures: report.PipelineReport) -> Iterator[list[Any]]:
    """The report as long rows: (figure, group, item, value, n)."""
    for week in figures.weeks:
        for code, count in week.counts.items():
            yield ["loops_by_stage", week.start.isoformat(), code, count, ""]
    for stage in figures.time_in_stage:
        yield ["days_in_stage_median", "", stage.stage, _round(stage.days.median), stage.days.n]
        yield ["days_in_stage_p90", "", stage.stage, _round(stage.days.p90), stage.days.n]
    spread = figures.to_decision
    yield ["days_first_interview_to_decision", "", "median", _round(spread.median), spread.n]
    yield ["days_first_interview_to_decision", "", "p90", _round(spread.p90), spread.n]
    for slot in figures.slots:
        passage = slot.passage
        yield ["pass_through", slot.title, "reached", passage.reached, ""]
        went_on = "" if passage.went_on is None else passage.went_on
        yield ["pass_through", slot.title, "went_on_to_next_slot", went_on, passage.reached]
        yield ["pass_through", slot.title, "hired", passage.hired, passage.reached]
    for code, _label, counts in figures.agreement_rows():
        for decided, count in zip(report.DECIDED_LABELS, counts, strict=True):
            yield ["recommended_vs_decided", f"recommended_{code}", f"decided_{decided}", count, ""]
    agreement = figures.agreement
    yield ["against_recommendation", "", "hired_against_no_hire", agreement.hired_against, ""]
    yield ["against_recommendation", "", "not_hired_against_hire", agreement.declined_against, ""]
    yield ["against_recommendation", "", "share", _round(agreement.against_share), agreement.clear]
    yield ["left_out", "", "decisions_hidden_by_blind_rule", figures.decided_hidden, ""]


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def requisition_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The requisition's report as CSV, text cells made safe for spreadsheets."""
    user = _user(request)
    requisition = report.requisition_get(user=user, pk=pk)
    figures = report.pipeline_report(user=user, requisition=requisition)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pipeline-{requisition.pk}.csv"'
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(figures):
        writer.writerow([safe_cell(value) for value in row])
    return response
