"""How much text a person may write into each free-text field, and the one message that says
so when they write more.

The numbers live here and nowhere else: model fields, forms, API serializers, importers and
the services all read them. They are generous (a thorough scorecard is a few thousand
characters); they stop megabytes, not thoroughness. Text the code writes itself (an error
log, a webhook body) has no limit here.

Lengths count a line break as one character, as the browser's ``maxlength`` does, although
the form posts it as CR LF: what the textarea let you type is never refused afterwards.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.deconstruct import deconstructible

from hiring.errors import Invalid

# Interviewers' scorecards (scorecards.models).
EVIDENCE = 10_000  # per rated dimension
KEY_TAKEAWAYS = 10_000
AMENDMENT_REASON = 2_000

# The hiring manager's decision, the recruiter's notes (hiring.models).
DECISION_RATIONALE = 5_000
RECRUITER_NOTES = 10_000
ERASE_REASON = 500  # why a candidate's data was erased, kept in the audit trail
REASON = 2_000  # any other reason kept in the audit trail (a loop reopened, say)
DEBRIEF_COMMENT = 4_000  # one comment in a loop's debrief discussion
OUTCOME_NOTE = 2_000  # a note with an outcome after the hire

# The rubric: role profiles, dimensions and case exercises. The shipped ladder
# (hiring/rubric/product-ladder.yaml) stays far below these.
ROLE_SUMMARY = 5_000
RUBRIC_TEXT = 5_000  # a dimension's description and descriptors, a case's brief and so on
SCALE_LABEL = 60  # one point of a rating scale ("Meets bar")


def length(value: str) -> int:
    """The length a person sees: CR LF (how forms post a line break) counts once."""
    return len(value) - value.count("\r\n")


def too_long(value: str | None, limit: int) -> str | None:
    """The message for ``value`` when it is over ``limit``, else None."""
    if value is None:
        return None
    written = length(value)
    if written <= limit:
        return None
    return f"Keep this within {limit:,} characters (you wrote {written:,})."


def length_errors(**fields: tuple[str | None, int]) -> dict[str, str]:
    """``{field: message}`` for each ``field=(value, limit)`` that is over its limit."""
    errors: dict[str, str] = {}
    for name, (value, limit) in fields.items():
        message = too_long(value, limit)
        if message is not None:
            errors[name] = message
    return errors


def check_lengths(**fields: tuple[str | None, int]) -> None:
    """Raise ``ValidationError({field: message})`` when any ``field=(value, limit)`` is
    over its limit: what the services call before they write anything."""
    errors = length_errors(**fields)
    if errors:
        raise Invalid(errors)


@deconstructible
class MaxChars:
    """A validator (Django's and DRF's) for the limit, with the message above."""

    code = "max_length"

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, value: Any) -> None:
        message = too_long(value, self.limit) if isinstance(value, str) else None
        if message is not None:
            raise Invalid(message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MaxChars) and other.limit == self.limit

    def __hash__(self) -> int:
        return hash(self.limit)


def _with_limit(validators: list[Any], limit: int | None) -> list[Any]:
    """``validators`` with Django's own max-length check replaced by ``MaxChars``."""
    kept = [v for v in validators if not isinstance(v, MaxLengthValidator | MaxChars)]
    return kept if limit is None else [*kept, MaxChars(limit)]


class LimitedCharField(forms.CharField):
    """A form field with a character limit: ``maxlength`` on the input and, on the server,
    the message above counted as the browser counts."""

    def __init__(self, *, max_length: int | None = None, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)
        self.validators = _with_limit(self.validators, max_length)


class LimitedTextField(models.TextField):
    """A TextField whose ``max_length`` is kept: by model validation (``full_clean``) and by
    every form built from it, the admin's included. Django's own TextField only puts it on
    the widget. The database column stays ``text``."""

    @cached_property
    def validators(self) -> list[Any]:
        return _with_limit(list(super().validators), self.max_length)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return super().formfield(
            form_class=form_class or LimitedCharField,
            choices_form_class=choices_form_class,
            **kwargs,
        )
