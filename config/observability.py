"""Error tracking with Sentry (``SENTRY_DSN``), with the personal data taken out first.

Events go to Sentry only after ``scrub_event``: no request bodies, cookies or local variables
(where candidates' names, e-mail addresses and evidence live), no logging parameters or
Celery task arguments, and any e-mail address left in a message or breadcrumb masked. What is
kept is what finds the bug: the exception type (not its message, which quotes values), the
stack's file names and lines, the logger's message template, the URL without its query values.
The integrations are told not to collect user identities, bodies, SQL parameters or local
variables in the first place (``data_collection``); the scrubber is the second line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
REDACTED = "[redacted]"
# Request headers worth keeping; every other (Cookie, Authorization, Referer…) is dropped.
_SAFE_HEADERS = {"host", "user-agent", "content-type", "content-length", "x-request-id"}


def mask_emails(value: Any) -> Any:
    """``value`` with every e-mail address in its strings replaced, however deeply nested."""
    if isinstance(value, str):
        return EMAIL.sub(REDACTED, value)
    if isinstance(value, dict):
        return {key: mask_emails(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_emails(item) for item in value]
    return value


def _scrub_request(request: dict[str, Any]) -> None:
    # Bodies hold evidence and candidates' details; query strings hold searches for them.
    for key in ("data", "cookies", "env"):
        request.pop(key, None)
    if request.get("query_string"):
        request["query_string"] = REDACTED
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {k: v for k, v in headers.items() if k.lower() in _SAFE_HEADERS}


def _scrub_frames(event: dict[str, Any]) -> None:
    for exception in (event.get("exception") or {}).get("values") or []:
        # Messages quote the values that failed (a name in a ValidationError, a row in an
        # IntegrityError's detail); the type and the stack find the bug, the server's own
        # log keeps the message.
        if exception.get("value"):
            exception["value"] = REDACTED
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's ``before_send``: the event without personal data (see the module)."""
    _scrub_frames(event)
    if isinstance(event.get("request"), dict):
        _scrub_request(event["request"])
    # A log record's arguments are its data (a name, an address); its template is the bug.
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry.pop("params", None)
        logentry.pop("formatted", None)
    # The logging integration copies a record's `extra` here, Celery its task's arguments.
    event.pop("extra", None)
    event.pop("user", None)
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict):
        breadcrumbs["values"] = [scrub_breadcrumb(b) for b in breadcrumbs.get("values") or []]
    return mask_emails(event)


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's ``before_breadcrumb``: SQL parameters and log arguments go (a log line keeps
    its template); addresses are masked in what stays."""
    crumb = dict(crumb)
    crumb.pop("data", None)  # SQL parameters, a log record's args and extra
    record = (hint or {}).get("log_record")
    if isinstance(record, logging.LogRecord):
        crumb["message"] = str(record.msg)  # the template, as for logged events
    return mask_emails(crumb)


def init_sentry(dsn: str, *, environment: str = "", release: str = "") -> None:
    """Start Sentry with the Django, Celery and logging integrations (errors logged at ERROR
    become events; INFO and above become breadcrumbs)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[
            # No spans: tracing is off, so nothing is timed or wrapped on every request.
            DjangoIntegration(middleware_spans=False, signals_spans=False, cache_spans=False),
            CeleryIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        # What the integrations collect at all (sentry-sdk's successor to send_default_pii):
        # no user identity, request bodies, SQL parameters or local variables.
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        before_send=scrub_event,  # type: ignore[arg-type]
        before_breadcrumb=scrub_breadcrumb,
    )
