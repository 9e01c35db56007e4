from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hiring import health, selectors
from hiring.models import User


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    state = {"database": health.database_state(), "broker": health.broker_state()}
    healthy = all(value == "ok" for value in state.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **state}, status=200 if healthy else 503
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    roles = selectors.roles_for_user(user=request.user)
    return render(request, "hiring/home.html", {"roles": roles})
