"""The answer when the database is down: a clean 503, fast, instead of Django's 500.

Installed as ``handler500`` (config.urls): Django calls it for any exception no view or
middleware handled, while that exception is being handled, so it can tell a database that
cannot be reached (the session, the user or the view's query failed to connect) from a bug.
The API gets JSON, as its other errors; pages a plain page that names no internals. Either
says to retry later; ``/readyz`` says what is wrong."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

RETRY_AFTER_SECONDS = 30
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loopwise is unavailable</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Loopwise is unavailable for a moment</h1>
<p>It cannot reach its database. Nothing you saved is lost; please try again in a minute.</p>
</main></body></html>
"""


def database_unavailable(exc: BaseException | None) -> bool:
    # OperationalError: could not connect, or the connection dropped; InterfaceError: the
    # connection was already closed. Any other database error (a constraint, bad SQL) is a bug.
    return isinstance(exc, (OperationalError, InterfaceError))


def server_error(request: HttpRequest) -> HttpResponse:
    if not database_unavailable(sys.exc_info()[1]):
        return defaults.server_error(request)
    response: HttpResponse
    if request.path == "/readyz":  # a session cookie sent with the probe failed to load
        response = JsonResponse(
            {"status": "not ready", "problems": ["database: the database cannot be reached"]},
            status=503,
        )
    elif request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": "Service unavailable: the database cannot be reached. Try again later."},
            status=503,
        )
    else:
        response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
