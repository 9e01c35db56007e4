"""The loop page's "Propose schedules": the candidate's availability in, the best schedules
for the plan's open slots out, side by side, each bookable in one click
(``hiring.scheduling.proposals``). Proposing is a GET that reads only; booking is a POST
that creates the interviews (all or none) and goes back to the loop, whose "Send invites"
then sends them. The same page sends the candidate a booking link instead
(``hiring.scheduling.booking``), and lists the links sent."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from config.ids import MAX_ID
from hiring import access
from hiring.admin.base import loop_to_change, report, request_user
from hiring.errors import ApplicationError
from hiring.models import BookingLink
from hiring.scheduling import booking, proposals

TEMPLATE = "admin/hiring/loop/propose.html"


def _next_weekday(today: date) -> date:
    day = today + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class AvailabilityForm(forms.Form):
    """When the candidate is available, in their own time zone: the same hours on each
    weekday of a stretch of days."""

    first_day = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(
        label="For (days)", min_value=1, max_value=14, initial=5, help_text="Weekends are skipped."
    )
    start = forms.TimeField(
        label="Available from", initial=time(9), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label="until", initial=time(17), widget=forms.TimeInput(attrs={"type": "time"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise forms.ValidationError("The day's availability must end after it starts.")
        if data.get("first_day") and data["first_day"] < timezone.localdate():
            raise forms.ValidationError("The availability must start today or later.")
        return data


class BookingLinkForm(forms.Form):
    """The days and hours the candidate's booking link offers, in their time zone."""

    link_first_day = forms.DateField(
        label="Offer from", widget=forms.DateInput(attrs={"type": "date"})
    )
    link_days = forms.IntegerField(
        label="For (days)",
        min_value=1,
        max_value=booking.MAX_DAYS,
        initial=10,
        help_text="Weekends are skipped.",
    )
    link_start = forms.TimeField(
        label="Between", initial=time(9), widget=forms.TimeInput(attrs={"type": "time"})
    )
    link_end = forms.TimeField(
        label="and", initial=time(17), widget=forms.TimeInput(attrs={"type": "time"})
    )


def _send_link(model_admin: Any, request: HttpRequest, loop: Any, form: BookingLinkForm) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        booking.booking_link_send(
            loop=loop,
            by=request_user(request),
            first_day=data["link_first_day"],
            days=data["link_days"],
            day_start=data["link_start"],
            day_end=data["link_end"],
        )
    except ApplicationError as error:
        report(model_admin, request, error)
        return False
    model_admin.message_user(
        request,
        f"The booking link is on its way to {loop.candidate.email}. Any earlier link of this "
        "loop no longer works.",
        messages.SUCCESS,
    )
    return True


def _withdraw_link(model_admin: Any, request: HttpRequest, loop: Any) -> None:
    user = request_user(request)
    raw = request.POST.get("link", "")
    link = (
        access.visible(user, BookingLink).filter(loop=loop, pk=int(raw)).first()
        if raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID
        else None
    )
    if link is None:
        model_admin.message_user(
            request, "That booking link is not one of this loop's.", messages.ERROR
        )
        return
    try:
        withdrawn = booking.booking_link_withdraw(link=link, by=user)
    except ApplicationError as error:
        report(model_admin, request, error)
        return
    if withdrawn:
        model_admin.message_user(
            request,
            "The booking link is withdrawn: it opens nothing now. What it booked stays booked.",
            messages.SUCCESS,
        )
    else:
        model_admin.message_user(
            request, "That booking link no longer worked: nothing changed.", messages.WARNING
        )


def propose_view(model_admin: Any, request: HttpRequest, object_id: int) -> HttpResponse:
    user = request_user(request)
    loop = loop_to_change(model_admin, request, object_id)
    loop_url = reverse("admin:hiring_loop_change", args=[loop.pk])
    zone = proposals.candidate_zone(loop)
    link_form = BookingLinkForm(
        request.POST if request.POST.get("action") == "send_link" else None,
        initial={"link_first_day": _next_weekday(timezone.localdate())},
    )
    if request.method == "POST" and request.POST.get("action") == "send_link":
        if _send_link(model_admin, request, loop, link_form):
            return HttpResponseRedirect(request.path)
    elif request.method == "POST" and request.POST.get("action") == "withdraw_link":
        _withdraw_link(model_admin, request, loop)
        return HttpResponseRedirect(request.path)
    elif request.method == "POST":
        try:
            choices = [proposals.Choice.decode(v) for v in request.POST.getlist("choice")]
            created = proposals.loop_book(loop=loop, by=user, choices=choices)
        except ApplicationError as error:
            report(model_admin, request, error)
        else:
            model_admin.message_user(
                request,
                f"Booked {len(created)} interview{'s' if len(created) != 1 else ''} from the "
                "proposal. Check the schedule, then send the invites.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(loop_url)
    asked = "first_day" in request.GET
    form = AvailabilityForm(
        request.GET if asked else None, initial={"first_day": _next_weekday(timezone.localdate())}
    )
    result = None
    if asked and form.is_valid():
        data = form.cleaned_data
        windows = proposals.candidate_windows(
            data["first_day"], data["days"], data["start"], data["end"], zone
        )
        try:
            result = proposals.loop_propose(loop=loop, by=user, windows=windows)
        except ApplicationError as error:
            report(model_admin, request, error)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"Propose schedules · {loop.candidate}",
        "loop": loop,
        "loop_url": loop_url,
        "form": form,
        "candidate_zone": zone,
        "options": _options(result, zone) if result else [],
        "result": result,
        "link_form": link_form,
        "links": [
            {"link": link, "free": booking.availability_words(link, zone)}
            for link in access.visible(user, BookingLink)
            .filter(loop=loop)
            .select_related("created_by")[:10]
        ],
    }
    return TemplateResponse(request, TEMPLATE, context)


def _options(result: proposals.LoopProposals, zone: str) -> list[dict[str, Any]]:
    """Each proposal as the page shows it: its rows in the reader's zone and the candidate's."""
    tz = ZoneInfo(zone)
    options = []
    for number, (proposal, choices) in enumerate(result.proposals, start=1):
        rows = [
            {
                "title": placement.slot.title,
                "who": placement.interviewer.name,
                "here": timezone.localtime(placement.starts_at),
                "here_end": timezone.localtime(placement.ends_at),
                "there": placement.starts_at.astimezone(tz),
                "there_end": placement.ends_at.astimezone(tz),
            }
            for placement in proposal.placements
        ]
        options.append(
            {
                "number": number,
                "rows": rows,
                "timeline": _timeline(rows),
                "reasons": proposal.reasons,
                "choices": [choice.encode() for choice in choices],
            }
        )
    return options


# The day timeline of a proposal (an SVG drawn from attributes: the strict CSP allows no
# inline styles): one row per interviewer, one bar per interview, in the reader's zone.
LABEL_WIDTH, CHART_WIDTH, ROW_HEIGHT = 130, 470, 26


def _timeline(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    days: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        days.setdefault(row["here"].date(), []).append(row)
    drawn = []
    for day, items in sorted(days.items()):
        first = min(8, min(item["here"].hour for item in items))
        last = max(
            18, max(item["here_end"].hour + (1 if item["here_end"].minute else 0) for item in items)
        )
        span = (last - first) * 60

        def x(moment: Any, first: int = first, span: int = span) -> float:
            minutes = (moment.hour - first) * 60 + moment.minute
            return LABEL_WIDTH + CHART_WIDTH * minutes / span

        people = list(dict.fromkeys(item["who"] for item in items))
        lanes = []
        for index, who in enumerate(people):
            y = 20 + index * ROW_HEIGHT
            bars = [
                {
                    "x": round(x(item["here"]), 1),
                    "width": round(max(x(item["here_end"]) - x(item["here"]), 2), 1),
                    "title": f"{item['title']}, {item['here']:%H:%M}"
                    f"\N{EN DASH}{item['here_end']:%H:%M}",
                }
                for item in items
                if item["who"] == who
            ]
            lanes.append({"who": who, "y": y, "text_y": y + 17, "bars": bars})
        ticks = [
            {
                "x": round(LABEL_WIDTH + CHART_WIDTH * (hour - first) * 60 / span, 1),
                "label": f"{hour:02d}",
            }
            for hour in range(first, last + 1, 2)
        ]
        height = 24 + len(people) * ROW_HEIGHT
        drawn.append(
            {
                "day": day,
                "lanes": lanes,
                "ticks": ticks,
                "height": height,
                "width": LABEL_WIDTH + CHART_WIDTH + 10,
                "axis_end": height - 2,
            }
        )
    return drawn
