"""Outcomes after the hire (issue 18): recording them (the hiring manager, or HR through the
API and a CSV import), audited as the personal data they are.

- A hired loop (its current decision is "hire") has two checkpoints, 6 and 12 months after
  that decision. Each holds one ``HireOutcome``: a performance rating on the scale in force
  (``settings.OUTCOME_PERFORMANCE_SCALE``, its labels from worst to best), whether they are
  still employed and, if they left, whether that was regretted attrition, with a note.
- Who records: whoever staffs the requisition (its hiring manager and recruiters) and
  superusers (``access.check(by, "record_outcome", loop)``). Nobody who is only on the panel
  sees or writes an outcome (``access.visible(user, HireOutcome)``).
- When: from the checkpoint's due date on, but a departure as soon as it happens (a hire who
  left in their third month is the 6-month checkpoint's outcome: not employed, regretted or
  not), and nobody is then asked about a later checkpoint. HR (a superuser) may enter any
  outcome earlier, and the CSV import (a superuser's upload, or ``manage.py
  import_outcomes``) brings in history as it is: what HR knows is recorded, not refused for
  its date.
- Every write is audited with the candidate (``outcome.recorded``, ``outcome.revised`` with
  before and after); a revision that changes nothing writes nothing.
- Reminders: ``remind_due`` asks the hiring manager for each due, unrecorded checkpoint, one
  notification per loop and checkpoint (the checkpoint is its key's sequence), so a sweep
  that runs twice sends nothing twice. The renderer checks again at send time.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from hiring import access, limits
from hiring.delivery import notifications
from hiring.delivery.notifications import RenderedEmail, renders
from hiring.errors import Invalid
from hiring.models import Decision, HireOutcome, Loop, Notification, User
from hiring.privacy.audit import audit, changes, json_value
from hiring.spreadsheets import safe_cell, unescape_cell

OUTCOME_DUE = "outcome.due"
CHECKPOINTS: tuple[int, ...] = tuple(HireOutcome.Checkpoint.values)
DEFAULT_PERFORMANCE_SCALE = (
    "Well below expectations",
    "Below expectations",
    "Meets expectations",
    "Exceeds expectations",
    "Far exceeds expectations",
)
# A reminder for a checkpoint that fell due longer ago than this is not sent: a hire decided
# years before Loopwise learnt of outcomes should not flood a manager's inbox on the first
# sweep. HR imports that history instead.
REMIND_WITHIN = timedelta(days=90)


def performance_scale() -> list[str]:
    """The labels of the performance scale in force, worst first (1 is the first)."""
    labels = list(getattr(settings, "OUTCOME_PERFORMANCE_SCALE", None) or [])
    return labels or list(DEFAULT_PERFORMANCE_SCALE)


def performance_label(value: int | None, scale_max: int | None = None) -> str:
    """``value``'s label on the scale in force, or "n of m" when it was recorded on another."""
    if value is None:
        return "Not rated"
    labels = performance_scale()
    if scale_max not in (None, len(labels)) or not 1 <= value <= len(labels):
        return f"{value} of {scale_max}"
    return labels[value - 1]


def add_months(when: datetime, months: int) -> datetime:
    """``when`` ``months`` calendar months later (the 31st becomes the month's last day)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def hire_decision(loop: Loop) -> Decision | None:
    """The loop's current decision, if it is to hire."""
    return loop.decisions.filter(is_current=True, outcome=Decision.Outcome.HIRE).first()


def due_at(decision: Decision, months: int) -> datetime:
    return add_months(decision.decided_at, months)


def hired_loops() -> QuerySet[Loop]:
    """Loops whose current decision is to hire."""
    return Loop.objects.filter(
        Exists(
            Decision.objects.filter(
                loop=OuterRef("pk"), is_current=True, outcome=Decision.Outcome.HIRE
            )
        )
    )


# --- Recording -------------------------------------------------------------------------------


def may_enter_early(by: User | None) -> bool:
    """HR (a superuser) and the import command (``by`` None) record history before it is due."""
    return by is None or access.administers(by)


def outcome_snapshot(outcome: HireOutcome) -> dict[str, Any]:
    return {
        "months": outcome.months,
        "performance": outcome.performance,
        "scale_max": outcome.scale_max,
        "still_employed": outcome.still_employed,
        "regretted": outcome.regretted,
        "note": outcome.note,
        "recorded_at": json_value(outcome.recorded_at),
    }


def outcome_errors(
    *,
    loop: Loop,
    months: Any,
    performance: Any,
    still_employed: Any,
    regretted: Any,
    note: str,
    by: User | None,
    now: datetime | None = None,
) -> dict[str, str]:
    """What is wrong with recording this outcome, field by field (empty: nothing)."""
    errors: dict[str, str] = {}
    scale = performance_scale()
    if months not in CHECKPOINTS:
        errors["months"] = "Choose the 6- or 12-month checkpoint."
    decision = hire_decision(loop)
    if decision is None:
        errors["loop"] = "Outcomes are recorded for hires: this loop's decision is not to hire."
    elif loop.candidate.anonymised_at is not None:
        errors["loop"] = "This candidate's data was erased: nothing more is recorded about them."
    elif "months" not in errors and not may_enter_early(by) and still_employed is not False:
        due = due_at(decision, months)
        if (now or timezone.now()) < due:
            errors["months"] = (
                f"The {months}-month outcome is due on {due:%d %B %Y}: record it from then "
                "on, or now if they have left."
            )
    if still_employed not in (True, False):
        errors["still_employed"] = "Say whether they are still employed."
    if performance is not None and (
        isinstance(performance, bool)
        or not isinstance(performance, int)
        or not 1 <= performance <= len(scale)
    ):
        errors["performance"] = f"Choose a rating from 1 to {len(scale)}."
    elif performance is None and still_employed is True:
        errors["performance"] = "Rate their performance: they are still employed."
    if still_employed is True and regretted is not None:
        errors["regretted"] = "Regretted attrition is for someone who left: leave it empty."
    elif still_employed is False and regretted not in (True, False):
        errors["regretted"] = "They left: say whether it was regretted attrition."
    errors.update(limits.length_errors(note=(note, limits.OUTCOME_NOTE)))
    return errors


def record_outcome(
    *,
    loop: Loop,
    months: int,
    performance: int | None,
    still_employed: bool,
    regretted: bool | None,
    note: str = "",
    by: User | None,
) -> HireOutcome:
    """Record (or revise) what happened at a checkpoint after the hire. ``by`` None is the
    import command. Audited with the candidate; a revision keeps the before and after."""
    if by is not None:
        access.check(by, "record_outcome", loop)
    note = (note or "").strip()
    errors = outcome_errors(
        loop=loop,
        months=months,
        performance=performance,
        still_employed=still_employed,
        regretted=regretted,
        note=note,
        by=by,
    )
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        Loop.objects.select_for_update(of=("self",)).filter(pk=loop.pk).first()
        existing = HireOutcome.objects.filter(loop=loop, months=months).first()
        values = {
            "performance": performance,
            "scale_max": len(performance_scale()),
            "still_employed": still_employed,
            "regretted": regretted,
            "note": note,
        }
        if existing is not None:
            before_all = outcome_snapshot(existing)
            if all(getattr(existing, name) == value for name, value in values.items()):
                return existing  # a replayed form: nothing changed, nothing audited
            for name, value in values.items():
                setattr(existing, name, value)
            existing.recorded_by = by
            existing.recorded_at = timezone.now()
            existing.save()
            before, after = changes(before_all, outcome_snapshot(existing))
            audit(
                action="outcome.revised",
                obj=existing,
                by=by,
                candidate_id=loop.candidate_id,
                before=before,
                after=after,
            )
            return existing
        outcome = HireOutcome.objects.create(
            loop=loop, months=months, recorded_by=by, recorded_at=timezone.now(), **values
        )
        audit(
            action="outcome.recorded",
            obj=outcome,
            by=by,
            candidate_id=loop.candidate_id,
            after=outcome_snapshot(outcome),
        )
    return outcome


# --- The checkpoints of a loop -------------------------------------------------------------


@dataclass
class Checkpoint:
    """One checkpoint of a hired loop, as its page and the API show it."""

    months: int
    label: str
    due_at: datetime
    due: bool
    outcome: HireOutcome | None
    left_before: HireOutcome | None = None  # an earlier checkpoint says the hire left


def checkpoints(loop: Loop, *, now: datetime | None = None) -> list[Checkpoint]:
    """Both checkpoints of a hired loop (none when it is not hired), with what was recorded."""
    decision = hire_decision(loop)
    if decision is None:
        return []
    now = now or timezone.now()
    recorded = {
        outcome.months: outcome
        for outcome in HireOutcome.objects.filter(loop=loop).select_related("recorded_by")
    }
    employed = {months: outcome.still_employed for months, outcome in recorded.items()}
    points = []
    for months in CHECKPOINTS:
        departed = left_by(employed, months)
        points.append(
            Checkpoint(
                months=months,
                label=HireOutcome.Checkpoint(months).label,
                due_at=due_at(decision, months),
                due=due_at(decision, months) <= now,
                outcome=recorded.get(months),
                left_before=None if departed is None else recorded[departed],
            )
        )
    return points


# --- Reminders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueOutcome:
    loop: Loop
    months: int
    due_at: datetime


def due_outcomes(now: datetime, *, within: timedelta = REMIND_WITHIN) -> list[DueOutcome]:
    """Checkpoints that fell due (in the last ``within``) and have no outcome yet, of hired
    loops whose candidate was not erased."""
    earliest = add_months(now - within, -max(CHECKPOINTS))
    decisions = (
        Decision.objects.filter(
            is_current=True,
            outcome=Decision.Outcome.HIRE,
            decided_at__gte=earliest,
            decided_at__lte=add_months(now, -min(CHECKPOINTS)),
            loop__candidate__anonymised_at__isnull=True,
        )
        .select_related("loop__requisition__hiring_manager", "loop__candidate")
        .order_by("decided_at", "pk")
    )
    recorded: dict[int, dict[int, bool]] = defaultdict(dict)
    for loop_id, months, still_employed in HireOutcome.objects.filter(
        loop__in=decisions.values("loop_id"),
    ).values_list("loop_id", "months", "still_employed"):
        recorded[loop_id][months] = still_employed
    due: list[DueOutcome] = []
    for decision in decisions:
        loop_recorded = recorded.get(decision.loop_id, {})
        for months in CHECKPOINTS:
            when = due_at(decision, months)
            if now - within <= when <= now and not settled(loop_recorded, months):
                due.append(DueOutcome(loop=decision.loop, months=months, due_at=when))
    return due


def left_by(still_employed: Mapping[int, bool], months: int) -> int | None:
    """The earliest checkpoint before ``months`` whose outcome says the hire had left, from
    each recorded checkpoint's "still employed"."""
    return next((m for m in sorted(still_employed) if m < months and not still_employed[m]), None)


def settled(still_employed: Mapping[int, bool], months: int) -> bool:
    """Nothing to ask about this checkpoint: recorded, or the hire left at an earlier one."""
    return months in still_employed or left_by(still_employed, months) is not None


def remind_due(now: datetime | None = None) -> int:
    """Ask each hiring manager for their due, unrecorded outcomes: one notification per loop
    and checkpoint, ever (a second sweep finds the row and writes nothing). Returns how many
    reminders are new."""
    now = now or timezone.now()
    new = 0
    for item in due_outcomes(now):
        manager = item.loop.requisition.hiring_manager
        if manager is None or not manager.is_active:
            continue
        with transaction.atomic():
            if notifications_about(item.loop, item.months).exists():
                continue  # asked before: never twice, even if that e-mail was cancelled
            if notifications.notify(
                reason=OUTCOME_DUE,
                obj=item.loop,
                recipient_email=manager.email,
                recipient=manager,
                sequence=item.months,
            ):
                new += 1
    return new


def notifications_about(loop: Loop, months: int) -> QuerySet[Notification]:
    from django.contrib.contenttypes.models import ContentType

    return Notification.objects.filter(
        reason=OUTCOME_DUE,
        content_type=ContentType.objects.get_for_model(Loop),
        object_id=loop.pk,
        sequence=months,
    )


def outcomes_url(loop: Loop) -> str:
    return f"{settings.SITE_URL}{reverse('scorecards:insight_outcomes', args=[loop.pk])}"


@renders(OUTCOME_DUE)
def render_outcome_due(notification: Notification) -> RenderedEmail | None:
    """At send time: nothing when the outcome is in, the hire was undone, the candidate was
    erased or the recipient no longer manages the requisition."""
    loop = (
        Loop.objects.select_related("candidate", "requisition")
        .filter(pk=notification.object_id)
        .first()
    )
    recipient = notification.recipient
    months = notification.sequence
    if loop is None or recipient is None or months not in CHECKPOINTS:
        return None
    decision = hire_decision(loop)
    if (
        decision is None
        or loop.candidate.anonymised_at is not None
        or loop.requisition.hiring_manager_id != recipient.pk
        or settled(
            dict(HireOutcome.objects.filter(loop=loop).values_list("months", "still_employed")),
            months,
        )
    ):
        return None
    context = {
        "recipient": recipient,
        "candidate": loop.candidate,
        "requisition": loop.requisition,
        "checkpoint": HireOutcome.Checkpoint(months).label,
        "decided_at": decision.decided_at,
        "due_at": due_at(decision, months),
        "link": outcomes_url(loop),
    }
    return RenderedEmail.from_templates(
        "scorecards/emails/outcome_due",
        context,
        subject=f"How is {loop.candidate.full_name} doing? {context['checkpoint']} outcome",
    )


# --- CSV: import and export -------------------------------------------------------------------

CSV_COLUMNS = (
    "candidate_email",
    "loop",
    "requisition",
    "months",
    "performance",
    "still_employed",
    "regretted",
    "note",
)
TRUE_WORDS = frozenset({"yes", "y", "true", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})


@dataclass
class ImportResult:
    """What an import did: ``errors`` (row number → reasons) when it imported nothing."""

    recorded: int = 0
    revised: int = 0
    unchanged: int = 0
    errors: dict[int, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _flag(value: str, name: str, errors: list[str], *, required: bool) -> bool | None:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    if word or required:
        errors.append(f"{name}: write yes or no{'' if word else ' (it is required)'}.")
    return None


def _find_loop(row: Mapping[str, str], errors: list[str]) -> Loop | None:
    """The hired loop a row names: by loop id, or by the candidate's e-mail and the
    requisition (its id or exact title)."""
    loop_id = (row.get("loop") or "").strip()
    email = (row.get("candidate_email") or "").strip()
    requisition = (row.get("requisition") or "").strip()
    loops = hired_loops().select_related("candidate", "requisition")
    if loop_id:
        if not loop_id.isdigit():
            errors.append("loop: write the loop's number.")
            return None
        found = loops.filter(pk=int(loop_id)).first()
        if found is None:
            errors.append(f"loop: no hired loop #{loop_id}.")
        elif email and found.candidate.email.lower() != email.lower():
            errors.append(f"candidate_email: loop #{loop_id} is not {email}'s.")
            return None
        return found
    if not email:
        errors.append("Name the hire: a loop id, or the candidate's e-mail and the requisition.")
        return None
    matches = loops.filter(candidate__email__iexact=email)
    if requisition:
        if requisition.isdigit():
            matches = matches.filter(requisition_id=int(requisition))
        else:
            matches = matches.filter(requisition__title__iexact=requisition)
    found_loops = list(matches[:2])
    if not found_loops:
        errors.append(
            f"No hire of {email}"
            + (f" for requisition {requisition!r}" if requisition else "")
            + " in Loopwise."
        )
        return None
    if len(found_loops) > 1:
        errors.append(f"{email} was hired more than once: name the requisition or the loop id.")
        return None
    return found_loops[0]


def parse_rows(
    rows: Iterable[Mapping[str, str]],
) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
    """Read CSV rows (as ``csv.DictReader`` gives them) into outcome arguments; the errors of
    each bad row by its line number (the header is line 1)."""
    parsed: list[dict[str, Any]] = []
    errors: dict[int, list[str]] = {}
    seen: dict[tuple[int, int], int] = {}
    scale = len(performance_scale())
    for number, row in enumerate(rows, start=2):
        problems: list[str] = []
        loop = _find_loop(row, problems)
        months_text = (row.get("months") or "").strip()
        months = int(months_text) if months_text.isdigit() else None
        if months not in CHECKPOINTS:
            problems.append("months: write 6 or 12.")
        performance_text = (row.get("performance") or "").strip()
        performance: int | None = None
        if performance_text:
            if performance_text.isdigit() and 1 <= int(performance_text) <= scale:
                performance = int(performance_text)
            else:
                problems.append(f"performance: write a number from 1 to {scale}, or nothing.")
        still_employed = _flag(
            row.get("still_employed") or "", "still_employed", problems, required=True
        )
        regretted = _flag(row.get("regretted") or "", "regretted", problems, required=False)
        note = str(unescape_cell(row.get("note") or ""))
        if loop is not None and months in CHECKPOINTS and still_employed is not None:
            key = (loop.pk, months)
            if key in seen:
                problems.append(f"The same hire and checkpoint as line {seen[key]}.")
            seen[key] = number
            field_errors = outcome_errors(
                loop=loop,
                months=months,
                performance=performance,
                still_employed=still_employed,
                regretted=regretted,
                note=note.strip(),
                by=None,
            )
            problems.extend(f"{name}: {message}" for name, message in field_errors.items())
        if problems:
            errors[number] = problems
            continue
        parsed.append(
            {
                "loop": loop,
                "months": months,
                "performance": performance,
                "still_employed": still_employed,
                "regretted": regretted,
                "note": note,
            }
        )
    return parsed, errors


def import_csv(text: str, *, by: User | None) -> ImportResult:
    """Import outcomes from CSV text, all or nothing: when any row is bad, nothing is
    recorded and the result names every bad row and why. ``by`` is the superuser uploading it
    (None: the management command)."""
    result = ImportResult()
    if by is not None and not access.administers(by):
        raise Invalid("Only an administrator (HR) imports outcomes.")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = {"months", "still_employed"} - set(header)
    if not header or missing or not ({"loop", "candidate_email"} & set(header)):
        result.errors[1] = ["The first line must name the columns: " + ", ".join(CSV_COLUMNS) + "."]
        return result
    reader.fieldnames = header
    rows = list(reader)
    if not rows:
        result.errors[1] = ["The file has no rows below its header."]
        return result
    parsed, errors = parse_rows(rows)
    if errors:
        result.errors = errors
        return result
    with transaction.atomic():
        for arguments in parsed:
            existing = HireOutcome.objects.filter(
                loop=arguments["loop"], months=arguments["months"]
            ).first()
            before = outcome_snapshot(existing) if existing else None
            outcome = record_outcome(**arguments, by=by)
            if existing is None:
                result.recorded += 1
            elif outcome_snapshot(outcome) == before:
                result.unchanged += 1
            else:
                result.revised += 1
    return result


EXPORT_COLUMNS = (
    "loop",
    "candidate",
    "candidate_email",
    "requisition",
    "months",
    "performance",
    "performance_label",
    "scale_max",
    "still_employed",
    "regretted",
    "note",
    "recorded_by",
    "recorded_at",
)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def export_rows(user: User, outcomes: QuerySet[HireOutcome] | None = None) -> list[list[str]]:
    """The CSV rows (header first) of the outcomes ``user`` may see."""
    queryset = access.visible(user, HireOutcome)
    if outcomes is not None:
        queryset = queryset.filter(pk__in=outcomes.values("pk"))
    rows: list[list[str]] = [list(EXPORT_COLUMNS)]
    for outcome in queryset.select_related(
        "loop__candidate", "loop__requisition", "recorded_by"
    ).order_by("loop_id", "months"):
        rows.append(
            [
                str(outcome.loop_id),
                str(safe_cell(outcome.loop.candidate.full_name)),
                str(safe_cell(outcome.loop.candidate.email)),
                str(safe_cell(outcome.loop.requisition.title)),
                str(outcome.months),
                "" if outcome.performance is None else str(outcome.performance),
                performance_label(outcome.performance, outcome.scale_max),
                str(outcome.scale_max),
                _yes_no(outcome.still_employed),
                _yes_no(outcome.regretted),
                str(safe_cell(outcome.note)),
                str(safe_cell(outcome.recorded_by.display_name)) if outcome.recorded_by else "",
                outcome.recorded_at.isoformat(),
            ]
        )
    return rows
