"""The debrief on the loop summary page (issue 18): the meeting as scheduled, the discussion
thread and its comment form, and the fields the decision form adds about the debrief.

Only whoever may read the summary gets here (the summary view renders the withheld page for
a panelist who owes a scorecard); the thread is read through the policy all the same."""

from __future__ import annotations

from typing import Any

from django import forms

from hiring import debriefs, limits
from hiring.delivery.notifications import zone
from hiring.limits import LimitedCharField
from hiring.models import Debrief, DebriefComment, DebriefOutcome, Loop, User


class CommentForm(forms.Form):
    body = LimitedCharField(
        label="Your comment",
        max_length=limits.DEBRIEF_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write your comment."},
        help_text=(
            "Plain text. Mention someone with @ and their username to e-mail them. Comments "
            "cannot be edited; you can delete your own."
        ),
    )


def outcome_fields(form: forms.Form, people: list[User]) -> None:
    """Add the debrief's outcome and who attended to the decision form."""
    form.fields["debrief_outcome"] = forms.ChoiceField(
        label="Debrief",
        choices=DebriefOutcome.Outcome.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Choose held, not needed or skipped."},
        help_text="Recorded with the decision, in the audit trail too.",
    )
    attendees = forms.ModelMultipleChoiceField(
        label="Who attended",
        queryset=User.objects.filter(pk__in=[person.pk for person in people]),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Only when the debrief was held: the panel and the hiring manager.",
        error_messages={"invalid_choice": "Attendees are the panel and the hiring manager."},
    )
    # the people in the page's order (by name), not the queryset's
    attendees.choices = [(p.pk, p.display_name) for p in people]
    form.fields["attendees"] = attendees


# The discussion shows its latest comments; a link shows them all.
THREAD_LATEST = 50


def context(
    user: User,
    loop: Loop,
    comment_form: CommentForm | None = None,
    *,
    whole_thread: bool = False,
) -> dict[str, Any]:
    """What the summary page shows of the debrief: the discussion's latest
    ``THREAD_LATEST`` comments, oldest first (all of them when ``whole_thread``), and how
    many earlier ones are not shown."""
    comments = debriefs.thread(loop=loop, user=user)
    earlier = 0
    if whole_thread:
        thread: list[DebriefComment] = list(comments)
    else:
        thread = list(comments.reverse()[:THREAD_LATEST])[::-1]
        if len(thread) == THREAD_LATEST:
            earlier = comments.count() - THREAD_LATEST
    debrief: Debrief | None = debriefs.current(loop)
    return {
        "debrief": debrief,
        "debrief_when": _when(debrief, user) if debrief else "",
        "thread": thread,
        "thread_earlier": earlier,
        "comment_form": comment_form or CommentForm(),
        "mentionable": debriefs.mentionable(loop),
        "debrief_invitees": debriefs.invitees(loop),
    }


def _when(debrief: Debrief, user: User) -> str:
    tz_name = user.time_zone or debrief.time_zone
    start = debrief.starts_at.astimezone(zone(tz_name))
    end = debrief.ends_at.astimezone(zone(tz_name))
    return f"{start:%A %d %B %Y, %H:%M} to {end:%H:%M} ({tz_name})"
