"""The predictive validity page, /insight/validity/ (issue 18): pick a role profile; see how
well each dimension, the calibrated overall and (for superusers and recruiters) each
interviewer predicted outcomes after the hire, with the weights that suggests beside the
current ones, and the same figures as CSV. Who sees what is the report's
(``scorecards.analytics.reports.validity``): an interviewer gets a 404."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hiring.models import User
from hiring.spreadsheets import safe_cell
from scorecards.analytics.reports import validity as report
from scorecards.analytics.views.validity_charts import ValidityMark, validity_dots

BAD_PROFILE = "profile: write a role profile's number, or \u201call\u201d."


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _profile_key(request: HttpRequest) -> str | None:
    """The ``profile`` parameter: a number, ``all`` or nothing; anything else is refused."""
    value = request.GET.get("profile", "").strip()
    if value and value != report.ALL and not value.isdigit():
        raise ValueError(BAD_PROFILE)
    return value or None


def _bad(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _marks(data: report.ValidityReport) -> list[ValidityMark]:
    def mark(label: str, figure: report.stats.Correlation, overall: bool = False) -> ValidityMark:
        return ValidityMark(
            label=label,
            n=figure.n,
            r=figure.r,
            low=figure.low,
            high=figure.high,
            reason=figure.message,
            overall=overall,
        )

    return [mark("Calibrated overall", data.overall, overall=True)] + [
        mark(row.name, row.figure) for row in data.dimensions
    ]


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def validity_page(request: HttpRequest) -> HttpResponse:
    try:
        key = _profile_key(request)
    except ValueError as error:
        return _bad(str(error))
    data = report.validity_report(_user(request), key)
    context = {
        "report": data,
        "chart": validity_dots(rows=_marks(data), level=data.level, method=data.method),
        "caution": report.RANGE_RESTRICTION,
        "level_pct": round(data.level * 100),
    }
    return render(request, "scorecards/analytics/validity.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def validity_csv(request: HttpRequest) -> HttpResponse:
    try:
        key = _profile_key(request)
    except ValueError as error:
        return _bad(str(error))
    data = report.validity_report(_user(request), key)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="validity-{data.profile_key}.csv"'
    writer = csv.writer(response)
    writer.writerows([safe_cell(cell) for cell in row] for row in report.csv_rows(data))
    return response
