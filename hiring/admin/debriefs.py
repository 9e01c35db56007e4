"""The loop's "Debrief" page in the admin (issue 18): the recruiter schedules the debrief of
a loop that is ready for one (or flagged), moves it, or cancels it. The service
(``hiring.debriefs``) checks who may and when, and sends the invites."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from hiring import debriefs
from hiring.admin.base import loop_to_change, report, request_user
from hiring.errors import ApplicationError
from hiring.models import Debrief, Loop

TEMPLATE = "admin/hiring/loop/debrief.html"


def _zones() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones())]


class DebriefForm(forms.Form):
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label="Starts at", widget=forms.TimeInput(attrs={"type": "time"}))
    minutes = forms.IntegerField(label="Length (minutes)", min_value=15, max_value=240, initial=45)
    time_zone = forms.ChoiceField(label="Time zone", choices=_zones)
    location = forms.CharField(label="Room", max_length=200, required=False)
    video_url = forms.URLField(label="Video link", required=False, assume_scheme="https")

    def times(self) -> tuple[datetime, datetime]:
        data = self.cleaned_data
        start = datetime.combine(data["day"], data["start"], tzinfo=ZoneInfo(data["time_zone"]))
        return start, start + timedelta(minutes=data["minutes"])


def _initial(debrief: Debrief | None, zone: str) -> dict[str, Any]:
    if debrief is None:
        return {"time_zone": zone, "minutes": 45}
    local = debrief.starts_at.astimezone(ZoneInfo(debrief.time_zone))
    return {
        "day": local.date(),
        "start": local.time().replace(second=0, microsecond=0),
        "minutes": int((debrief.ends_at - debrief.starts_at).total_seconds() // 60),
        "time_zone": debrief.time_zone,
        "location": debrief.location,
        "video_url": debrief.video_url,
    }


def debrief_view(model_admin: Any, request: HttpRequest, object_id: int) -> HttpResponse:
    user = request_user(request)
    loop = loop_to_change(model_admin, request, object_id)
    loop_url = reverse("admin:hiring_loop_change", args=[loop.pk])
    debrief = debriefs.current(loop)
    form = DebriefForm(
        request.POST if request.method == "POST" and "cancel" not in request.POST else None,
        initial=_initial(debrief, user.time_zone or "UTC"),
    )
    if request.method == "POST" and "cancel" in request.POST and debrief is not None:
        try:
            debriefs.debrief_cancel(debrief=debrief, by=user)
        except ApplicationError as error:
            report(model_admin, request, error)
        else:
            model_admin.message_user(
                request, "Debrief cancelled: everyone invited is told.", messages.SUCCESS
            )
            return HttpResponseRedirect(loop_url)
    elif request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.times()
        try:
            debriefs.debrief_schedule(
                loop=loop,
                starts_at=starts_at,
                ends_at=ends_at,
                time_zone=form.cleaned_data["time_zone"],
                location=form.cleaned_data["location"],
                video_url=form.cleaned_data["video_url"],
                by=user,
            )
        except ApplicationError as error:
            report(model_admin, request, error)
        else:
            model_admin.message_user(
                request,
                "Debrief scheduled: the panel and the hiring manager get the invite."
                if debrief is None
                else "Debrief moved: everyone invited gets the update.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(loop_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"Debrief · {loop.candidate}",
        "loop": loop,
        "loop_url": loop_url,
        **loop_section(loop),
        "form": form,
        "may_schedule": debriefs.may_schedule(loop),
        "invitees": debriefs.invitees(loop),
    }
    return TemplateResponse(request, TEMPLATE, context, status=400 if form.errors else 200)


def loop_section(loop: Loop) -> dict[str, Any]:
    """What the loop's page shows of its debrief."""
    debrief = debriefs.current(loop)
    return {
        "debrief": debrief,
        "debrief_when": (
            debrief.starts_at.astimezone(ZoneInfo(debrief.time_zone)).strftime("%A %d %B %Y, %H:%M")
            + f" ({debrief.time_zone})"
            if debrief
            else ""
        ),
        "debrief_url": reverse("admin:hiring_loop_debrief", args=[loop.pk]),
        "may_schedule_debrief": debriefs.may_schedule(loop),
    }
