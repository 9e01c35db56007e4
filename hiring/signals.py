"""Changes made through any door (the admin, the API, a confirmed schedule, the importer)
that a scheduled debrief must follow: its attendees are the loop's panel (``hiring.debriefs``).
Connected in ``HiringConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from hiring import debriefs
from hiring.models import Interview

PANEL_ACTIONS = {"post_add", "post_remove", "post_clear"}


def _interviewers_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in PANEL_ACTIONS:
        return
    if not reverse:
        debriefs.debrief_panel_changed(instance.loop_id)
        return
    # from the person's side (user.interviews.add(...)): every loop of those interviews
    interviews = Interview.objects.filter(pk__in=pk_set) if pk_set else instance.interviews
    for loop_id in set(interviews.values_list("loop_id", flat=True)):
        debriefs.debrief_panel_changed(loop_id)


def _interview_saved(sender: Any, instance: Interview, created: bool, **kwargs: Any) -> None:
    # Cancelled or no-show: its interviewers are no longer on the panel. A new interview has
    # no interviewers yet (they are added after it is saved, and that change is seen above).
    if not created and instance.status in Interview.NO_FEEDBACK_STATUSES:
        debriefs.debrief_panel_changed(instance.loop_id)


def _interview_deleted(sender: Any, instance: Interview, **kwargs: Any) -> None:
    debriefs.debrief_panel_changed(instance.loop_id)


def connect() -> None:
    m2m_changed.connect(_interviewers_changed, sender=Interview.interviewers.through)
    post_save.connect(_interview_saved, sender=Interview)
    post_delete.connect(_interview_deleted, sender=Interview)
