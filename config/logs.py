"""Request ids and JSON log lines (``LOG_FORMAT=json``).

Every request gets an id: its ``X-Request-ID`` when the proxy in front sent a sane one,
otherwise a new one, echoed in the response's ``X-Request-ID``. Every log line written
while it is served carries that id and the signed-in user's id; a Celery task queued by it
carries the id in its message headers, so the worker's lines for that task carry the same
``request_id`` beside their ``task_id``.

Per request this costs one context-variable set and reset and one response header: the
user's id is read only when a line is logged, and only if authentication has already loaded
the user (logging never costs a query).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

HEADER = "X-Request-ID"
TASK_HEADER = "loopwise_request_id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
current_task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "task_id", default=None
)
_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "request", default=None
)


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every line of the request, middleware's included, has the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        # A client's id is kept only when it is short and plain: it goes into every line.
        rid = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        id_token = current_request_id.set(rid)
        request_token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(id_token)
            _request.reset(request_token)
        response[HEADER] = rid
        return response


def _user_id() -> int | None:
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    # request.user is lazy: only a user authentication already loaded is read.
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    pk = getattr(user, "pk", None)
    return pk if isinstance(pk, int) else None


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``user_id`` and ``task_id`` to every record (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        record.user_id = _user_id()
        record.task_id = current_task_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the ids above."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
            "task_id": getattr(record, "task_id", None),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


# --- Celery: the queuing request's id travels in the message headers -----------------------


def stamp_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """``before_task_publish``: the current request's (or task's) id into the message."""
    rid = current_request_id.get()
    if rid is not None and headers is not None:
        headers[TASK_HEADER] = rid


def enter_task(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    """``task_prerun``: this task's id and its queuing request's id for its log lines."""
    current_task_id.set(task_id)
    rid = getattr(getattr(task, "request", None), TASK_HEADER, None)
    current_request_id.set(rid if isinstance(rid, str) else None)


def leave_task(**_: Any) -> None:
    """``task_postrun``: a prefork child's next lines belong to no task until the next one."""
    current_task_id.set(None)
    current_request_id.set(None)


def connect_celery(*, json_logs: bool) -> None:
    from celery import signals

    if json_logs:
        # A receiver here keeps Celery from replacing the root logger's handlers: the
        # worker logs through Django's LOGGING, JSON lines like the web's.
        signals.setup_logging.connect(_keep_django_logging, weak=False)
    signals.before_task_publish.connect(stamp_request_id, weak=False)
    signals.task_prerun.connect(enter_task, weak=False)
    signals.task_postrun.connect(leave_task, weak=False)


def _keep_django_logging(**_: Any) -> None:
    pass
