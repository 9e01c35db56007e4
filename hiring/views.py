from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hiring import heartbeats, selectors
from hiring.models import User


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No dependency is asked (a database outage must not get
    every web process restarted); /readyz is readiness."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database, the broker, recent worker and beat heartbeats, the outbox
    lag (``hiring.heartbeats``); 503 and what is wrong when any is not."""
    ready, report = heartbeats.readiness()
    return JsonResponse(report, status=200 if ready else 503)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    roles = selectors.roles_for_user(user=request.user)
    return render(request, "hiring/home.html", {"roles": roles})
