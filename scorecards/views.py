from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from . import selectors


@login_required
def my_interviews(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    user = request.user
    assert user.is_authenticated
    context = {
        "now": now,
        "upcoming": list(selectors.upcoming_interviews(user=user, now=now)),
        "owed": list(selectors.owed_scorecards(user=user, now=now)),
        "user_time_zone": user.time_zone,
    }
    return render(request, "scorecards/my_interviews.html", context)
