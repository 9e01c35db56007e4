"""The one error vocabulary of the services.

A service that refuses raises an ``ApplicationError``, of one of two kinds callers must tell
apart:

- ``Invalid``: what was asked cannot be done as sent, or not in the object's present state
  (a missing rationale, a withdrawn loop). Field keys say which field is to blame. 400.
- ``Refused``: who asks may not (the access policy, the blind rule). 403, with the reason.

They are Django's ``ValidationError`` and ``PermissionDenied`` too, so forms, the admin and
Django's own 403 page understand them as they are. Each surface turns them into an answer in
one place: the API's exception handler (``hiring.api.parsers.exception_handler``), forms
(``add_error``), and the admin's actions and buttons through ``messages_of``. Callers never
re-wrap them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError


class ApplicationError(Exception):
    """A refusal a service raises on purpose, with a reason a person can read."""


class Invalid(ApplicationError, ValidationError):
    """Not as sent, or not in this state: 400, field → messages where a field is to blame."""


class Refused(ApplicationError, PermissionDenied):
    """Not by this person: 403 with the reason."""


def messages_of(error: Exception) -> list[str]:
    """The reasons of a refusal, as sentences for a page or an admin message."""
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error)] if str(error) else ["You may not do this."]


def add_to_form(form: Any, error: ValidationError) -> None:
    """Put a service's ``Invalid`` next to the form's fields it names (keys the form does not
    have, and errors without keys, go to the top of the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, messages in error.message_dict.items():
        field = key if key in form.fields else None
        for message in messages:
            form.add_error(field, message)
