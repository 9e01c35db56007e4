"""The candidate's booking page (``/book/<token>/``): no login, the signed link is the
permission (``hiring.scheduling.booking``). One page, in the candidate's time zone (detected
by the browser when it may, shown, changeable; without JavaScript their own zone or the
server's), that works without JavaScript: pick a schedule, say when you are free,
reschedule, cancel. Each is a POST with ``action``; a GET only reads."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from zoneinfo import available_timezones

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hiring.errors import Invalid
from hiring.models import BookingLink
from hiring.scheduling import booking
from hiring.scheduling.plans import slot_states

TEMPLATE = "hiring/booking.html"
ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


def zone_groups(zones: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The zones by region, each shown by its place ("New York", "Argentina / Buenos Aires"),
    sorted by it: a candidate typing "Lon" in the list lands on London."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in zones:
        region, slash, place = name.partition("/")
        if not slash:  # "UTC", a candidate's own
            region, place = "Other", name
        groups.setdefault(region, []).append((name, place.replace("_", " ").replace("/", " / ")))
    return [(region, sorted(groups[region], key=lambda item: item[1])) for region in sorted(groups)]


ZONE_GROUPS = zone_groups(ZONES)


def _unusable(request: HttpRequest, problem: booking.LinkUnusable) -> HttpResponse:
    status = 404 if problem.link is None else 410
    return render(
        request, "hiring/booking_unusable.html", {"reason": problem.reason}, status=status
    )


def _page(
    request: HttpRequest,
    link: BookingLink,
    zone: str,
    *,
    problems: list[str] | None = None,
    status: int = 200,
    fresh: bool = False,
) -> HttpResponse:
    loop = link.loop
    context: dict[str, Any] = {
        "link": link,
        "loop": loop,
        "zone": zone,
        "zone_groups": ZONE_GROUPS if zone in ZONES else zone_groups(sorted([*ZONES, zone])),
        "problems": problems or [],
        "asked_zone": "tz" in request.GET or request.method == "POST",
    }
    if link.status == BookingLink.Status.OPEN:
        context["slots"] = [state.slot for state in slot_states(loop) if not state.placed]
        try:
            context["options"] = booking.options_for(link, zone, fresh=fresh)
        except booking.TooManySearches:
            context["options"] = []
            context["problems"] = [
                *context["problems"],
                "This page has looked for schedules many times in the last few minutes: "
                "please wait a few minutes and reload it.",
            ]
            status = 429
        context["grid"] = [
            (day, [(cell, booking.cell_ticked(link, cell)) for cell in cells])
            for day, cells in booking.grid(link, zone)
        ]
    elif link.status == BookingLink.Status.BOOKED:
        context["booked"] = booking.booked_rows(link, zone)
        context["live"] = any(row["live"] for row in context["booked"])
    else:
        context["had_interviews"] = link.interviews.exists()
    response = render(request, TEMPLATE, context, status=status)
    # The address is the key: never sent to another site as a referrer, never indexed
    # (same-origin, not no-referrer: the browser then sends "Origin: null" with the
    # page's own forms, which CSRF protection rightly refuses).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = booking.link_open(token)
    except booking.LinkUnusable as problem:
        return _unusable(request, problem)
    asked = request.POST.get("tz") if request.method == "POST" else request.GET.get("tz")
    zone = booking.zone_or_default(link, asked)
    if request.method == "GET":
        return _page(request, link, zone)
    action = request.POST.get("action", "")
    here = f"{request.path}?{urlencode({'tz': zone})}"
    try:
        if action == "book":
            booking.candidate_book(token=token, zone=zone, signed=request.POST.get("option", ""))
        elif action == "availability":
            booking.availability_save(token=token, zone=zone, cells=request.POST.getlist("cell"))
        elif action == "reschedule":
            if not request.POST.get("confirm") and booking.has_live_interviews(link):
                raise Invalid("Tick the box to confirm that your current times are given up.")
            booking.candidate_reschedule(token=token)
        elif action == "cancel":
            if not request.POST.get("confirm"):
                raise Invalid("Tick the box to confirm that you are cancelling.")
            booking.candidate_cancel(token=token)
        else:
            raise Invalid("Choose what to do from the page.")
    except booking.LinkUnusable as problem:
        return _unusable(request, problem)
    except Invalid as error:
        try:
            link = booking.link_open(token)
        except booking.LinkUnusable as problem:
            return _unusable(request, problem)
        # A time just taken: the options shown are stale, so search again (409: the
        # schedule conflicts with what is true now); anything else is a form to correct,
        # and buys no fresh search.
        taken = isinstance(error, booking.TimeTaken)
        return _page(
            request,
            link,
            zone,
            problems=list(error.messages),
            status=409 if taken else 400,
            fresh=taken,
        )
    return redirect(here)
