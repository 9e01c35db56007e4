"""Outcomes after the hire (issue 18): the hiring manager's page for one hired loop, both
checkpoints (6 and 12 months after the decision) with their due dates, what was recorded and
by whom, and a form for each; and the CSV export of the outcomes the reader may see.

Who gets here is ``hiring.access``'s: the requisition's hiring manager and recruiters, and
superusers (``record_outcome``). Anyone else, the panel included, gets a 404: the page does
not even say whether the loop was a hire. A loop that was not says so to its staff."""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hiring import access, limits, outcomes
from hiring.errors import Invalid, Refused, add_to_form
from hiring.limits import LimitedCharField
from hiring.models import HireOutcome, Loop, User

YES_NO = [("yes", "Yes"), ("no", "No")]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class OutcomeForm(forms.Form):
    months = forms.TypedChoiceField(
        choices=HireOutcome.Checkpoint.choices,
        coerce=int,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Choose the 6- or 12-month checkpoint."},
    )
    still_employed = forms.ChoiceField(
        label="Still employed",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether they are still employed."},
    )
    performance = forms.TypedChoiceField(
        label="Performance",
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text="Required while they are employed; optional if they left before a rating.",
        error_messages={"invalid_choice": "Choose a rating from the scale."},
    )
    regretted = forms.ChoiceField(
        label="Regretted attrition",
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
        help_text="Only if they left: would you have kept them?",
    )
    note = LimitedCharField(
        label="Note",
        max_length=limits.OUTCOME_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. Seen by the requisition's hiring manager and recruiters only.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["performance"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (index, f"{index}. {label}")
            for index, label in enumerate(outcomes.performance_scale(), start=1)
        ]

    @classmethod
    def for_outcome(cls, checkpoint: outcomes.Checkpoint) -> OutcomeForm:
        outcome = checkpoint.outcome
        initial: dict[str, Any] = {"months": checkpoint.months}
        if outcome is not None:
            initial.update(
                still_employed="yes" if outcome.still_employed else "no",
                performance=outcome.performance,
                regretted=""
                if outcome.regretted is None
                else ("yes" if outcome.regretted else "no"),
                note=outcome.note,
            )
        return cls(initial=initial, auto_id=f"m{checkpoint.months}-%s")


def _flag(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def loop_for_outcomes(user: User, pk: int) -> Loop:
    """A loop whose outcomes ``user`` may read and record (its staff), or 404."""
    loops = access.loops_staffed(user).select_related("candidate", "requisition")
    return get_object_or_404(loops, pk=pk)


def _render(
    request: HttpRequest,
    loop: Loop,
    *,
    bound: OutcomeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    points = outcomes.checkpoints(loop)
    rows = []
    for point in points:
        form = bound if bound is not None and bound.auto_id == f"m{point.months}-%s" else None
        rows.append(
            {
                "checkpoint": point,
                "performance": outcomes.performance_label(
                    point.outcome.performance, point.outcome.scale_max
                )
                if point.outcome
                else None,
                "form": form or OutcomeForm.for_outcome(point),
                # before it is due, the form records a departure only (HR: anything)
                "early": not point.due and not outcomes.may_enter_early(_user(request)),
            }
        )
    context = {
        "loop": loop,
        "rows": rows,
        "refused": bound if bound is not None and not rows else None,
        "scale": outcomes.performance_scale(),
        "decision": outcomes.hire_decision(loop),
    }
    return render(request, "scorecards/analytics/outcomes.html", context, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def loop_outcomes(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    loop = loop_for_outcomes(user, pk)
    if request.method != "POST":
        return _render(request, loop)
    access.check(user, "record_outcome", loop)
    months = request.POST.get("months", "")
    form = OutcomeForm(request.POST, auto_id=f"m{months if months == '12' else 6}-%s")
    if form.is_valid():
        try:
            outcome = outcomes.record_outcome(
                loop=loop,
                months=form.cleaned_data["months"],
                performance=form.cleaned_data["performance"],
                still_employed=form.cleaned_data["still_employed"] == "yes",
                regretted=_flag(form.cleaned_data["regretted"]),
                note=form.cleaned_data["note"],
                by=user,
            )
        except Invalid as error:
            add_to_form(form, error)
        else:
            messages.success(request, f"The {outcome.get_months_display()} outcome is recorded.")
            return redirect(reverse("scorecards:insight_outcomes", args=[loop.pk]))
    return _render(request, loop, bound=form, status=400)


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def outcomes_csv(request: HttpRequest) -> HttpResponse:
    """Every outcome the reader may see, as CSV (``?requisition=<id>`` narrows it)."""
    user = _user(request)
    queryset = access.visible(user, HireOutcome)
    requisition = request.GET.get("requisition", "")
    if requisition:
        if not requisition.isdigit():
            return HttpResponse(
                "requisition: write the requisition's number.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        queryset = queryset.filter(loop__requisition_id=int(requisition))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="outcomes.csv"'
    writer = csv.writer(response)
    writer.writerows(outcomes.export_rows(user, queryset))
    return response


# --- HR's CSV import ------------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, with a header line: " + ", ".join(outcomes.CSV_COLUMNS) + ".",
        error_messages={"required": "Choose the CSV file to import."},
    )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        limit = int(settings.IMPORT_MAX_MB)
        if file.size > limit * 1024 * 1024:
            raise forms.ValidationError(
                f"This file is {file.size / (1024 * 1024):.1f} MB; an import takes up to "
                f"{limit} MB. Split it into smaller files and import each."
            )
        try:
            return file.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                "Save the file as UTF-8 CSV and upload it again."
            ) from error


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def outcomes_import(request: HttpRequest) -> HttpResponse:
    """HR (an administrator) uploads outcomes in bulk: all or nothing, every bad row named."""
    user = _user(request)
    if not access.administers(user):
        raise Refused("Only an administrator (HR) imports outcomes.")
    form = ImportForm()
    result = None
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            result = outcomes.import_csv(form.cleaned_data["file"], by=user)
            if result.ok:
                messages.success(
                    request,
                    f"Imported: {result.recorded} recorded, {result.revised} revised, "
                    f"{result.unchanged} unchanged.",
                )
                return redirect(reverse("scorecards:insight_outcomes_import"))
        status = 400
    context = {
        "form": form,
        "errors": sorted(result.errors.items()) if result else [],
        "columns": outcomes.CSV_COLUMNS,
        "scale_max": len(outcomes.performance_scale()),
    }
    return render(request, "scorecards/analytics/outcomes_import.html", context, status=status)
