"""The interviewer's calendars page (``/interviews/calendar/``): connect a CalDAV calendar or
an ICS feed, see each one's state in words, disconnect it. Only one's own calendars, through
the access policy; the address and password are never shown back."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from hiring import access
from hiring.errors import Invalid, add_to_form
from hiring.models import CalendarSource, User
from hiring.scheduling import busy, writeback


class ConnectForm(forms.Form):
    kind = forms.ChoiceField(
        label="What to connect",
        choices=CalendarSource.Kind.choices,
        widget=forms.RadioSelect,
        initial=CalendarSource.Kind.CALDAV,
    )
    name = forms.CharField(label="Name (for you)", max_length=100, required=False)
    url = forms.URLField(
        label="Address",
        max_length=2000,
        assume_scheme="https",
        help_text="The calendar's CalDAV address, or the feed's secret iCal address.",
    )
    username = forms.CharField(label="Username", max_length=200, required=False)
    secret = forms.CharField(
        label="Password or app password",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Kept encrypted; never shown again.",
    )
    write_back = forms.BooleanField(
        label="Add my Loopwise interviews to this calendar (CalDAV only)",
        required=False,
        help_text="Each interview you are invited to appears in it, and moves or goes with it.",
    )


@dataclass(frozen=True)
class Row:
    source: CalendarSource
    state: busy.SourceState


@login_required
@require_http_methods(["GET", "POST"])
def calendars(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    mine = access.visible(user, CalendarSource).filter(owner=user)
    form = ConnectForm()
    if request.method == "POST":
        if "disconnect" in request.POST:
            source = mine.filter(pk=_id(request.POST["disconnect"])).first()
            if source is None:
                raise Http404
            busy.calendar_disconnect(source=source)
            messages.success(request, f"Disconnected {source}; its busy time is forgotten.")
            return redirect("calendars")
        if "write_back" in request.POST and "kind" not in request.POST:
            source = mine.filter(pk=_id(request.POST["write_back"])).first()
            if source is None:
                raise Http404
            on = request.POST.get("on") == "1"
            try:
                busy.calendar_set_write_back(source=source, on=on)
            except Invalid as error:
                messages.error(request, " ".join(error.messages))
            else:
                writeback.queue_upcoming(source)
                words = "now gets" if on else "no longer gets"
                messages.success(request, f"{source} {words} your Loopwise interviews.")
            return redirect("calendars")
        form = ConnectForm(request.POST)
        if form.is_valid():
            try:
                source = busy.calendar_connect(owner=user, **form.cleaned_data)
            except Invalid as error:
                add_to_form(form, error)
            else:
                writeback.queue_upcoming(source)
                messages.success(request, f"Connected {source}: it is read within a minute.")
                return redirect("calendars")
    rows = [Row(source, busy.source_state(source)) for source in mine.order_by("pk")]
    return render(request, "hiring/calendars.html", {"rows": rows, "form": form})


def _id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Http404 from None
