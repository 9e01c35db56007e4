"""The Recruiters group: model permissions that let a recruiter use the admin. Which rows
they see is decided per request by the admin querysets (DESIGN §6), not by this group."""

from __future__ import annotations

from typing import Any

RECRUITERS_GROUP = "Recruiters"

RECRUITER_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "hiring": {
        "candidate": ("view", "add", "change"),
        "loop": ("view", "add", "change"),
        "interview": ("view", "add", "change"),
        # Interview plans: a requisition's own is its recruiters' (hiring.access decides).
        "planslot": ("view", "add", "change", "delete"),
        # Interviewers' hours, limits and training (issue 17; hiring.access decides whose).
        "schedulingprofile": ("view", "add", "change"),
        "trainingrecord": ("view", "add", "change", "delete"),
        # Staffing and the rubric are read here, written by administrators (DESIGN §6);
        # ``hiring.access`` narrows every row and field further.
        "requisition": ("view", "change"),
        "roleprofile": ("view",),
        "dimension": ("view",),
        "caseexercise": ("view",),
        "signal": ("view",),
        "redflag": ("view",),
        "decision": ("view",),
        "user": ("view",),
        "notification": ("view",),
        # The state of the calendars of people they schedule (never where they are).
        "calendarsource": ("view",),
    },
    "scorecards": {
        "scorecard": ("view",),
        "loopsummary": ("view",),
        "interviewercalibration": ("view",),
    },
}


def ensure_recruiters_group(**kwargs: Any) -> None:
    """post_migrate handler: idempotent, so it runs after every migrate. It sets the
    group's permissions to exactly this list, so one taken away here is gone after the next
    migrate."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=RECRUITERS_GROUP)
    wanted = [
        f"{action}_{model}"
        for models in RECRUITER_PERMISSIONS.values()
        for model, actions in models.items()
        for action in actions
    ]
    permissions = Permission.objects.filter(
        content_type__app_label__in=list(RECRUITER_PERMISSIONS), codename__in=wanted
    )
    group.permissions.set(permissions)
