"""What every Loopwise admin shares: the signed-in user, the logs nobody edits by hand, the
form-field defaults, and the confirmation page of the actions that ask first.

``PolicyAdmin`` asks ``hiring.access`` which rows a user sees, whether they may change one and
which fields stay read-only; the admin classes of every app derive from it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from hiring import access
from hiring.admin.autocomplete import ScopedAutocomplete
from hiring.delivery import notifications
from hiring.errors import ApplicationError, Invalid, messages_of
from hiring.models import (
    Loop,
    User,
)

# A URL typed without a scheme is https (Django 6's default, chosen now rather than warned of).
FORMFIELD_OVERRIDES: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"},
}


def formfield(field: models.Field[Any, Any], **kwargs: Any) -> Any:
    """A ``formfield_callback`` for ModelForms built outside a ModelAdmin, with the same
    overrides."""
    return field.formfield(**{**FORMFIELD_OVERRIDES.get(type(field), {}), **kwargs})


def request_user(request: HttpRequest) -> User:
    """The admin only lets signed-in staff in: ``request.user`` is a ``User``."""
    user = request.user
    assert isinstance(user, User)
    return user


class ReadOnlyLog:
    """For a log's ModelAdmin (mixed in first): rows are written by the code, never added,
    edited or deleted in the admin; actions may still act on them through services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _may_change(request: HttpRequest, obj: Any) -> bool:
    """``access.can(user, "change", obj)``, asked once per object in a GET: the change page
    asks it for the form, each inline and the buttons (six queries for one answer). A POST
    asks every time, as what it saves may change the answer."""
    user = request_user(request)
    if request.method not in ("GET", "HEAD") or obj.pk is None:
        return access.can(user, "change", obj)
    answers: dict[tuple[str, Any], bool] = request.__dict__.setdefault("_may_change", {})
    key = (obj._meta.label, obj.pk)
    if key not in answers:
        answers[key] = access.can(user, "change", obj)
    return answers[key]


class PolicyAdmin(ScopedAutocomplete):
    """Asks ``hiring.access`` which rows the user sees and whether they may change one;
    the model permissions of the Recruiters group only open the admin's menus. An
    autocomplete widget asking it gets only what its field accepts (``ScopedAutocomplete``)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        visible = access.visible(request_user(request), self.model)
        return super().get_queryset(request).filter(pk__in=visible.values("pk"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or _may_change(request, obj))

    def action_checkbox(self, obj: Any) -> SafeString:
        """Django's row checkbox, the same HTML, formatted directly: Django renders a
        ``CheckboxInput`` through the form templates for each row, a fifth of a 50-row
        list's CPU."""
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        locked = access.readonly_fields(request_user(request), self.model)
        return (*super().get_readonly_fields(request, obj), *sorted(locked))


def loop_to_change(model_admin: Any, request: HttpRequest, object_id: int) -> Loop:
    """The loop a page of the loop's own (propose, debrief) is about, with its candidate and
    requisition: only one the reader may change, else 404 (the admin's own policy)."""
    loop = (
        model_admin.get_queryset(request)
        .select_related("candidate", "requisition")
        .filter(pk=object_id)
        .first()
    )
    if loop is None or not model_admin.has_change_permission(request, loop):
        raise Http404
    return cast(Loop, loop)


def report(model_admin: Any, request: HttpRequest, error: Exception, about: object = None) -> None:
    """A service's refusal as the admin's error message (one helper for every action and
    button), naming what it was about when several objects were acted on."""
    text = "; ".join(messages_of(error))
    model_admin.message_user(request, f"{about}: {text}" if about else text, messages.ERROR)


# --- Actions that ask first ----------------------------------------------------------------

CONFIRM_TEMPLATE = "admin/hiring/loop/confirm.html"


@dataclass
class Entry:
    """One object an action would touch, as its confirmation page lists it."""

    heading: str
    lines: list[str] = field(default_factory=list)
    empty: str = "Nothing to do here."


def when(moment: datetime, zone_name: str | None) -> str:
    """``Tue 04 Mar 2031, 09:00`` in the named zone (the zone's own name follows)."""
    tz = notifications.zone(zone_name)
    return f"{moment.astimezone(tz):%a %d %b %Y, %H:%M} {tz.key}"


def names(users: Iterable[User]) -> str:
    return ", ".join(user.display_name for user in users)


def confirmed_run(
    model_admin: Any,
    request: HttpRequest,
    objects: Sequence[Any],
    *,
    run: Callable[[Any, User, str], int | bool],
    verb: str,
    page: Callable[[str], HttpResponse],
) -> HttpResponse | None:
    """The second step of an action that asks first: the page (``page(error)``) until the
    person confirms, then ``run(obj, user, reason)`` on each object. A reason the service
    refuses (blank, too long) shows the page again with the service's words, nothing done:
    the service checks it before it writes anything, and the reason is the same for all."""
    if "confirm" not in request.POST:
        return page("")
    user = request_user(request)
    reason = request.POST.get("reason", "")
    done = 0
    for obj in objects:
        try:
            done += int(run(obj, user, reason))
        except Invalid as error:
            refused = getattr(error, "error_dict", {}).get("reason")
            if refused:
                return page("; ".join(messages_of(ValidationError(refused))))
            report(model_admin, request, error, about=obj)
        except ApplicationError as error:
            report(model_admin, request, error, about=obj)
    model_admin.message_user(request, f"{verb}: {done}.", messages.SUCCESS)
    return None


def confirm_page(
    model_admin: Any,
    request: HttpRequest,
    *,
    action: str,
    objects: Sequence[Any],
    title: str,
    intro: str,
    entries: list[Entry],
    summary: str,
    submit: str,
    back: str,
    reason_label: str = "",
    reason_error: str = "",
) -> TemplateResponse:
    """The page an action shows before it runs: what it will do to each object, a summary
    with the counts, and (for what cannot be taken back) a required reason."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "intro": intro,
        "entries": entries,
        "summary": summary,
        "submit": submit,
        "back": back,
        "action": action,
        "selected": [obj.pk for obj in objects],
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "reason_label": reason_label,
        "reason_error": reason_error,
        "reason_sent": request.POST.get("reason", ""),
    }
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)
