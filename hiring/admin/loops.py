"""The recruiter's workplace for loops: the loop list with progress, the loop page with its
interviews (scheduling checks, calendars), the buttons and actions that call the services,
interviews across loops, and decisions (read-only: recorded only by ``decision_record``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from hiring import access, services, stages
from hiring.admin import debriefs as debrief_pages
from hiring.admin import proposals as proposal_pages
from hiring.admin.base import (
    FORMFIELD_OVERRIDES,
    Entry,
    PolicyAdmin,
    ReadOnlyLog,
    confirm_page,
    confirmed_run,
    formfield,
    names,
    report,
    request_user,
    when,
)
from hiring.delivery import notifications
from hiring.errors import ApplicationError
from hiring.models import (
    CaseExercise,
    Decision,
    Dimension,
    Interview,
    Loop,
    Notification,
    PlanSlot,
    User,
)
from hiring.scheduling import conflicts as scheduling
from hiring.scheduling import plans, profiles


class LoopStateFilter(admin.SimpleListFilter):
    """Open loops unless the recruiter asks for something else."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("open", "Open"),
            *[(value, str(label)) for value, label in Loop.Status.choices],
            ("all", "All"),
        ]

    def value(self) -> str:
        return super().value() or "open"

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Loop]) -> QuerySet[Loop]:
        value = self.value()
        if value == "all":
            return queryset
        if value == "open":
            return queryset.filter(status__in=Loop.OPEN_STATUSES)
        return queryset.filter(status=value)


class InterviewForm(forms.ModelForm):
    """Start and end are typed as wall-clock times in the interview's own time zone."""

    class Meta:
        model = Interview
        formfield_callback = formfield
        fields: tuple[str, ...] = (
            "title",
            "status",
            "starts_at",
            "ends_at",
            "time_zone",
            "location",
            "video_url",
            "interviewers",
            "focus_dimensions",
            "case_exercise",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at"):
            # One label for two inputs: each says which half of which time it is.
            parts = getattr(self.fields[name].widget, "widgets", ())
            label = str(self.fields[name].label)
            for part, half in zip(parts, ("date", "time"), strict=False):
                part.attrs["aria-label"] = f"{label}: {half}"
        if self.instance.pk:
            tz = notifications.zone(self.instance.time_zone)
            for name in ("starts_at", "ends_at"):
                value = getattr(self.instance, name)
                self.initial[name] = value.astimezone(tz).replace(tzinfo=None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tz = notifications.zone(data.get("time_zone"))
        current = timezone.get_current_timezone()
        for name in ("starts_at", "ends_at"):
            value = data.get(name)
            if value is not None:
                data[name] = value.astimezone(current).replace(tzinfo=None).replace(tzinfo=tz)
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "An interview ends after it starts.")
        return data


def slot_of(data: dict[str, Any], instance: Interview) -> scheduling.Slot | None:
    """The slot a form's cleaned data plans (None while its times are missing). A form that
    does not carry the status (the focused form shows it read-only) keeps the instance's."""
    if data.get("DELETE") or not data.get("starts_at") or not data.get("ends_at"):
        return None
    return scheduling.Slot(
        label=data.get("title") or "Untitled interview",
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        time_zone=data.get("time_zone") or "UTC",
        interviewer_ids=frozenset(u.pk for u in data.get("interviewers") or ()),
        dimension_ids=frozenset(d.pk for d in data.get("focus_dimensions") or ()),
        pk=instance.pk,
        active=data.get("status", instance.status) not in Interview.NO_FEEDBACK_STATUSES,
    )


def blocking_problems(
    loop: Loop, slots: list[scheduling.Slot], rows: list[dict[str, Any]]
) -> list[str]:
    """What refuses a save of the loop's interviews (DESIGN §3.1), wherever they are edited:
    double-bookings, the candidate in two places, a forbidden hiring manager, and a dimension
    or case exercise of another role profile (``rows``: the edited forms' cleaned data)."""
    problems = scheduling.problems_for_slots(loop=loop, slots=slots)
    blocking = [problem.message for problem in problems if problem.blocking]
    profile_id = loop.requisition.profile_id
    for data in rows:
        foreign = [d.name for d in data.get("focus_dimensions") or () if d.profile_id != profile_id]
        exercise = data.get("case_exercise")
        if foreign or (exercise is not None and exercise.profile_id != profile_id):
            blocking.append(
                f"“{data.get('title')}” uses a dimension or case exercise of another role "
                "profile than this requisition's."
            )
    return blocking


class InterviewFormSet(BaseInlineFormSet):
    """Refuses a save that double-books someone or breaks the panel rules (DESIGN §3.1)."""

    def slots(self) -> list[scheduling.Slot]:
        found = (
            slot_of(getattr(form, "cleaned_data", None) or {}, form.instance) for form in self.forms
        )
        return [slot for slot in found if slot is not None]

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or not getattr(self.instance, "requisition_id", None):
            return
        rows = [getattr(form, "cleaned_data", None) or {} for form in self.forms]
        blocking = blocking_problems(self.instance, self.slots(), rows)
        if blocking:
            raise ValidationError(blocking)


class InterviewAdminForm(InterviewForm):
    """One interview, on its own page: the same checks as the loop's formset, with the loop's
    other interviews as they are saved. An interview for a slot of the interview plan
    (``plan_slot``, pre-filled from ``?slot=``) may leave its end empty: it lasts the slot's
    duration."""

    class Meta(InterviewForm.Meta):
        fields = (
            "loop",
            "plan_slot",
            *(name for name in InterviewForm.Meta.fields if name != "status"),
            "trainees",
        )
        widgets = {
            "focus_dimensions": forms.CheckboxSelectMultiple,
            "trainees": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        slot = self._slot()
        if slot is not None:
            self.fields["ends_at"].required = False
            # The admin shows help text as HTML: names and titles are escaped here.
            self.fields["ends_at"].help_text = format_html(
                "“{}” lasts {} minutes: leave the end empty and it is set {} minutes after "
                "the start.",
                slot.title,
                slot.minutes,
                slot.minutes,
            )
            hints: list[str] = []
            if slot.pool.all():
                names = ", ".join(person.display_name for person in slot.pool.all())
                hints.append(format_html("The plan's pool for this interview: {}.", names))
            if slot.hiring_manager_required:
                hints.append("The requisition's hiring manager must be on this panel.")
            self.fields["interviewers"].help_text = format_html_join(
                " ", "{}", ((h,) for h in hints)
            )

    def _slot(self) -> PlanSlot | None:
        """The plan slot this form is for: as posted, as pre-filled, or as saved."""
        field_ = self.fields.get("plan_slot")
        if self.is_bound:
            key = self.data.get(self.add_prefix("plan_slot"))
        else:
            key = self.initial.get("plan_slot") or self.instance.plan_slot_id
        if field_ is None or not key or not str(key).isdigit():
            return None
        queryset = getattr(field_, "queryset", None)
        if queryset is None:
            return None
        found: PlanSlot | None = queryset.prefetch_related("pool").filter(pk=key).first()
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        slot = data.get("plan_slot")
        starts_at = data.get("starts_at")
        if starts_at and not data.get("ends_at") and "ends_at" not in self.errors:
            if slot is not None:
                data["ends_at"] = starts_at + timedelta(minutes=slot.minutes)
            else:
                self.add_error("ends_at", "Give the end, or pick a plan slot to take its length.")
        loop = data.get("loop") or (self.instance.loop if self.instance.loop_id else None)
        if loop is None or self.errors:
            return data
        if slot is not None:
            refused = plans.panel_errors(slot, loop.requisition, data.get("interviewers") or ())
            if refused:
                raise ValidationError(refused)
        # A trainee sits on the panel (invite, kit, scorecard): named there too (issue 17).
        panel = {person.pk for person in data.get("interviewers") or ()}
        outside = [p.display_name for p in data.get("trainees") or () if p.pk not in panel]
        if outside:
            self.add_error(
                "trainees",
                f"A trainee sits on the panel: add {', '.join(outside)} to the interviewers too.",
            )
            return data
        others = loop.interviews.exclude(pk=self.instance.pk).prefetch_related(
            "interviewers", "focus_dimensions"
        )
        slots = [scheduling.slot_for(interview) for interview in others]
        mine = slot_of(data, self.instance)
        blocking = blocking_problems(loop, [*slots, *([mine] if mine else [])], [data])
        if blocking:
            raise ValidationError(blocking)
        return data


class ProfileChoices:
    """Offer only the loop's role profile's dimensions and case exercises, and only active
    people for a panel (the loop's profile is put on the request by ``get_form(set)``)."""

    @staticmethod
    def _profile_filter(request: HttpRequest) -> dict[str, Any]:
        profile_id = getattr(request, "_loop_profile_id", None)
        return {"profile_id": profile_id} if profile_id else {}

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "case_exercise":
            kwargs["queryset"] = CaseExercise.objects.filter(
                **self._profile_filter(request)
            ).select_related("profile")
        if db_field.name == "loop":
            kwargs["queryset"] = access.loops_recruited(request_user(request)).filter(
                status__in=Loop.OPEN_STATUSES
            )
        if db_field.name == "plan_slot":
            # The slots of the plan the loop's requisition follows (none before a loop).
            kwargs["queryset"] = PlanSlot.objects.filter(
                pk__in=getattr(request, "_plan_slot_ids", ())
            ).select_related("case_exercise")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "focus_dimensions":
            kwargs["queryset"] = Dimension.objects.filter(
                **self._profile_filter(request)
            ).select_related("profile")
        if db_field.name == "interviewers":
            kwargs["queryset"] = User.objects.filter(is_active=True).order_by(
                "first_name", "last_name"
            )
        if db_field.name == "trainees":
            # People in training on a slot of the loop's plan (issue 17).
            kwargs["queryset"] = (
                User.objects.filter(
                    is_active=True,
                    training_records__plan_slot_id__in=getattr(request, "_plan_slot_ids", ()),
                )
                .distinct()
                .order_by("first_name", "last_name")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class InterviewInline(ProfileChoices, admin.StackedInline):
    """A new loop's interviews, typed with it and checked together (``InterviewFormSet``).
    A saved loop shows its schedule instead, each interview edited on its own page."""

    formfield_overrides = FORMFIELD_OVERRIDES
    model = Interview
    form = InterviewForm
    formset = InterviewFormSet
    extra = 0
    fields = (
        "title",
        ("starts_at", "ends_at", "time_zone"),
        ("location", "video_url"),
        "interviewers",
        "focus_dimensions",
        "case_exercise",
    )
    # A tenant has thousands of people: the panel is picked by typing, and the page carries
    # only the chosen ones. A profile has about ten dimensions: those stay a list.
    autocomplete_fields = ("interviewers",)
    filter_horizontal = ("focus_dimensions",)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # On a saved loop, offer only its profile's dimensions and case exercises.
        request._loop_profile_id = obj.requisition.profile_id if obj else None  # type: ignore[attr-defined]
        return super().get_formset(request, obj, **kwargs)


def _overdue_interviews(now: Any) -> QuerySet[Interview]:
    """Ended interviews of a loop (OuterRef) with at least one panel seat still owing."""
    return (
        Interview.objects.filter(loop=OuterRef("pk"), ends_at__lt=now)
        .exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
        .annotate(
            _seats=Count("interviewers", distinct=True),
            _in=Count("scorecards", filter=Q(scorecards__status="submitted"), distinct=True),
        )
        .filter(_in__lt=F("_seats"))
        .order_by("ends_at")
    )


# --- The loop page's schedule and coverage -------------------------------------------------

INVITE_REASONS = (services.INTERVIEW_INVITE, services.INTERVIEW_UPDATE, services.INTERVIEW_CANCEL)


def invite_state(interview: Interview, last: Notification | None) -> str:
    """A panel member's calendar for ``interview``, from the last invite, update or
    cancellation written to them."""
    if last is None or last.status == Notification.Status.CANCELLED:
        return "not invited"
    if last.reason == services.INTERVIEW_CANCEL:
        sent = last.status == Notification.Status.SENT
        return "cancellation sent" if sent else "cancellation queued"
    if last.status == Notification.Status.FAILED:
        return "invite failed"
    invite = last.reason == services.INTERVIEW_INVITE
    if last.sequence < interview.calendar_sequence:
        return "invited, out of date"
    if last.status == Notification.Status.SENT:
        return "invited" if invite else "updated"
    return "invite queued" if invite else "update queued"


def span(interview: Interview, zone_name: str) -> str:
    """``Tue 04 Mar 2031, 09:00\u201310:00 Europe/London``"""
    tz = notifications.zone(zone_name)
    starts, ends = interview.starts_at.astimezone(tz), interview.ends_at.astimezone(tz)
    end = f"{ends:%H:%M}" if ends.date() == starts.date() else f"{ends:%a %d %b, %H:%M}"
    return f"{starts:%a %d %b %Y, %H:%M}\u2013{end} {tz.key}"


@dataclass
class Row:
    """One interview, one line of the loop's schedule."""

    interview: Interview
    when: str
    candidate_when: str
    panel: list[tuple[str, str]]
    focus: list[str]
    case: str
    active: bool
    edit_url: str
    can_end: bool
    started: bool


def schedule(loop: Loop, viewer: User) -> list[Row]:
    """The loop's interviews in time order, each with its time in the viewer's zone and the
    candidate's, its panel and what each member's calendar holds; a fixed number of queries."""
    interviews = list(
        loop.interviews.select_related("case_exercise")
        .prefetch_related("interviewers", "focus_dimensions")
        .order_by("starts_at", "pk")
    )
    last: dict[tuple[int, int | None], Notification] = {}
    for note in Notification.objects.filter(
        content_type=ContentType.objects.get_for_model(Interview),
        object_id__in=[interview.pk for interview in interviews],
        reason__in=INVITE_REASONS,
    ).order_by("sequence", "created_at", "pk"):
        last[(note.object_id, note.recipient_id)] = note
    mine, theirs = viewer.time_zone or "UTC", loop.candidate.time_zone or "UTC"
    now = timezone.now()
    rows = []
    for interview in interviews:
        panel = sorted(interview.interviewers.all(), key=lambda user: user.display_name)
        rows.append(
            Row(
                interview=interview,
                when=span(interview, mine),
                candidate_when=span(interview, theirs),
                panel=[
                    (user.display_name, invite_state(interview, last.get((interview.pk, user.pk))))
                    for user in panel
                ],
                focus=[dimension.name for dimension in interview.focus_dimensions.all()],
                case=interview.case_exercise.title if interview.case_exercise else "",
                active=interview.status not in Interview.NO_FEEDBACK_STATUSES,
                edit_url=reverse("admin:hiring_interview_change", args=[interview.pk]),
                can_end=interview.status == Interview.Status.SCHEDULED,
                started=interview.starts_at <= now,
            )
        )
    return rows


@dataclass
class Coverage:
    """Which of the profile's dimensions the loop's live interviews cover."""

    covered: list[tuple[str, bool]] = field(default_factory=list)  # (name, must-have)
    missing: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def missing_must_haves(self) -> list[str]:
        return [name for name, must in self.missing if must]


def coverage(loop: Loop) -> Coverage:
    """Cancelled and no-show interviews cover nothing: the same rule as the must-have
    warning (``scheduling.loop_problems``)."""
    live = loop.interviews.exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
    covered_ids = set(
        Dimension.objects.filter(interviews__in=live).values_list("pk", flat=True).distinct()
    )
    result = Coverage()
    for dimension in loop.requisition.profile.dimensions.all():
        entry = (dimension.name, dimension.must_have)
        (result.covered if dimension.pk in covered_ids else result.missing).append(entry)
    return result


@dataclass
class PlanRow:
    """One slot of the loop's interview plan, as the loop page lists it."""

    slot: PlanSlot
    placed: str  # "" while no live interview fills it, else when that interview is
    add_url: str  # the add form pre-filled from this slot ("" on a closed loop)
    training: list[str] = field(default_factory=list)  # who is in training on it, in words


@dataclass
class LoopPlan:
    rows: list[PlanRow]
    source: str  # whose plan: the requisition's own or its role profile's
    next: PlanRow | None


def loop_plan(loop: Loop, viewer: User) -> LoopPlan:
    """The plan the loop follows, each slot placed or not yet, and the first still open: a
    fixed number of queries whatever the plan's size."""
    plan = plans.plan_for(loop.requisition)
    open_loop = loop.status in Loop.OPEN_STATUSES
    add = reverse("admin:hiring_interview_add")
    trainees = profiles.in_training(slot.pk for slot in plan.slots)
    rows = [
        PlanRow(
            slot=state.slot,
            placed=when(state.interview.starts_at, viewer.time_zone) if state.interview else "",
            add_url=f"{add}?loop={loop.pk}&slot={state.slot.pk}" if open_loop else "",
            training=[
                f"{t.record.person.display_name}: {profiles.State(t.state).label.lower()}"
                for t in trainees.get(state.slot.pk, {}).values()
            ],
        )
        for state in plans.slot_states(loop, plan)
    ]
    source = (
        f"this requisition's own plan ({loop.requisition})"
        if plan.source == "requisition"
        else f"the {loop.requisition.profile} plan"
    )
    upcoming = next((row for row in rows if not row.placed), None)
    return LoopPlan(rows=rows, source=source, next=upcoming if open_loop else None)


# The order a recruiter reads stages in: the pipeline's, not the alphabet's.
STAGE_ORDER = Case(
    *(When(status=stage, then=n) for n, stage in enumerate(Loop.Status.values)),
    output_field=IntegerField(),
)
RECOMMENDATIONS = {
    "strong_hire": "Strong hire",
    "hire": "Hire",
    "no_hire": "No hire",
    "incomplete": "Incomplete",
}


def counted(n: int, thing: str) -> str:
    """``1 loop``, ``3 loops``: a count in words for the confirmation pages."""
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def short(moment: datetime | None) -> str:
    """``Tue 04 Mar, 09:00``: a list cell's date, in the reader's zone (the current one)."""
    if moment is None:
        return "—"
    return f"{timezone.localtime(moment):%a %d %b, %H:%M}"


@admin.register(Loop)
class LoopAdmin(PolicyAdmin):
    change_form_template = "admin/hiring/loop/change_form.html"
    change_list_template = "admin/hiring/loop/change_list.html"
    list_display = (
        "candidate",
        "requisition",
        "stage",
        "next_interview",
        "scorecards",
        "oldest_overdue",
        "recommendation",
    )
    list_filter = (LoopStateFilter,)
    list_select_related = ("candidate", "requisition")
    # A page a recruiter takes in at once; the count of every loop they may see is not
    # worth a second count query on each page.
    list_per_page = 50
    show_full_result_count = False
    search_fields = ("candidate__full_name", "candidate__email")
    fieldsets = ((None, {"fields": ("candidate", "requisition", "status")}),)
    # Typed, not listed: the page carries the loop's candidate, not every candidate.
    autocomplete_fields = ("candidate",)
    # The stage follows the interviews, a decision or a withdrawal (hiring.stages): never typed.
    readonly_fields = ("status",)
    # A new loop is typed with its interviews; a saved one shows them as a schedule (below).
    inlines = [InterviewInline]
    actions = ["send_invites", "nudge", "withdraw", "reopen"]

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return list(self.inlines) if obj is None else []

    def get_view_on_site_url(self, obj: Loop | None = None) -> str | None:
        """ "View on site": the loop's calibrated summary, as the hiring manager reads it."""
        return reverse("scorecards:manager_loop", args=[obj.pk]) if obj else None

    def _recruited(self, request: HttpRequest) -> QuerySet[Loop]:
        """The loops of the requisitions the policy says the user recruits for (a part of
        what it lets them see). Their requisitions' ids are read first, so the page's query
        starts from a short list and not from nested subqueries over the whole tenant."""
        user = request_user(request)
        qs = super(PolicyAdmin, self).get_queryset(request)
        if not access.administers(user):
            recruited = access.requisitions_recruited(user).values_list("pk", flat=True)
            qs = qs.filter(requisition_id__in=list(recruited))
        return qs

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Loop | None:
        """The loop of a change, delete or history page, from the same loops as the list but
        without the list's per-row counts and dates, which those pages never show (building
        and running them cost the change page ~4 ms)."""
        queryset = self._recruited(request)
        # As ModelAdmin.get_object, with that queryset.
        field: Any = Loop._meta.pk if from_field is None else Loop._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (Loop.DoesNotExist, ValidationError, ValueError):
            return None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Loop]:
        user = request_user(request)
        qs = self._recruited(request)
        now = timezone.now()
        seats = (
            Interview.objects.filter(loop=OuterRef("pk"))
            .exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
            .values("loop")
            .annotate(n=Count("interviewers"))
            .values("n")
        )
        submitted = (
            Interview.objects.filter(loop=OuterRef("pk"))
            .exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
            .filter(scorecards__status="submitted")
            .values("loop")
            .annotate(n=Count("scorecards"))
            .values("n")
        )
        upcoming = (
            Interview.objects.filter(
                loop=OuterRef("pk"), status=Interview.Status.SCHEDULED, starts_at__gte=now
            )
            .order_by("starts_at")
            .values("starts_at")[:1]
        )
        qs = qs.annotate(
            _seats=Coalesce(Subquery(seats), 0),
            _submitted=Coalesce(Subquery(submitted), 0),
            _next_interview=Subquery(upcoming),
            _oldest_overdue=Subquery(_overdue_interviews(now).values("ends_at")[:1]),
            _recommendation=F("summary__recommendation"),
            _score=F("summary__calibrated_score"),
            _withheld=access.feedback_withheld(user),
            _stage_order=STAGE_ORDER,
        )
        return qs

    @admin.display(description="stage", ordering="_stage_order")
    def stage(self, obj: Loop) -> str:
        return obj.get_status_display()

    @admin.display(description="next", ordering="_next_interview")
    def next_interview(self, obj: Any) -> str:
        return short(obj._next_interview)

    @admin.display(description="scorecards")
    def scorecards(self, obj: Any) -> str:
        return f"{obj._submitted}/{obj._seats}"

    @admin.display(description="overdue since", ordering="_oldest_overdue")
    def oldest_overdue(self, obj: Any) -> str:
        return short(obj._oldest_overdue)

    # "Summary": the calibrated summary's recommendation and score, in a column narrow
    # enough for the list to fit at 1280 px beside the menu and the filter.
    @admin.display(description="summary")
    def recommendation(self, obj: Any) -> str:
        if getattr(obj, "_withheld", False):
            return "Hidden until your scorecard is in"
        code = getattr(obj, "_recommendation", None)
        if not code:
            return "—"
        label = RECOMMENDATIONS.get(code, code.replace("_", " ").capitalize())
        score = getattr(obj, "_score", None)
        return f"{label} ({score:.2f})" if score is not None else label

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        user = request_user(request)
        if db_field.name == "requisition":
            kwargs["queryset"] = access.requisitions_recruited(user)
        if db_field.name == "candidate":
            kwargs["queryset"] = access.candidates_recruited(user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- The loop page: its schedule and what it covers --------------------------------------

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Loop | None = None,
    ) -> Any:
        if obj is not None and obj.pk:
            context = {
                **context,
                "schedule": schedule(obj, request_user(request)),
                "coverage": coverage(obj),
                **debrief_pages.loop_section(obj),
                "plan": loop_plan(obj, request_user(request)),
                "add_interview_url": (
                    reverse("admin:hiring_interview_add") + f"?loop={obj.pk}"
                    if obj.status in Loop.OPEN_STATUSES
                    else ""
                ),
                "propose_url": (
                    reverse("admin:hiring_loop_propose", args=[obj.pk])
                    if obj.status in Loop.OPEN_STATUSES
                    else ""
                ),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- Saving: scheduling rules and calendars ------------------------------------------

    def save_model(self, request: HttpRequest, obj: Loop, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:  # the stage a loop starts in opens its history, as the services' do
            stages.record(loop=obj, before="", by=request_user(request))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: Any) -> None:
        if formset.model is not Interview:
            super().save_formset(request, form, formset, change)
            return
        user = request_user(request)
        moved: list[tuple[Interview, set[int]]] = []
        for inline_form in formset.forms:
            instance = inline_form.instance
            if not instance.pk or not inline_form.has_changed():
                continue
            changed = set(inline_form.changed_data)
            if changed & {*services.CALENDAR_FIELDS, "interviewers"}:
                before = {user.pk for user in inline_form.initial.get("interviewers") or ()}
                after = {user.pk for user in inline_form.cleaned_data.get("interviewers") or ()}
                moved.append((instance, before - after))
        super().save_formset(request, form, formset, change)
        for interview, removed in moved:
            if services.interview_rescheduled(interview=interview, by=user, removed_ids=removed):
                self.message_user(
                    request, f"Calendar update sent for “{interview.title}”.", messages.INFO
                )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        super().save_related(request, form, formsets, change)
        for problem in scheduling.problems_for_loop(form.instance):
            if not problem.blocking:
                self.message_user(request, problem.message, messages.WARNING)

    # --- Actions and buttons -------------------------------------------------------------
    # Each shows what it will do first (hiring.admin.base.confirm_page); withdrawing, like
    # reopening, also asks why. The buttons on the loop page run the same actions.

    def _back(self, request: HttpRequest, loops: list[Loop]) -> str:
        match = request.resolver_match
        if match is not None and match.url_name == "hiring_loop_button" and loops:
            return reverse("admin:hiring_loop_change", args=[loops[0].pk])
        return reverse("admin:hiring_loop_changelist")

    @staticmethod
    def _loops(queryset: QuerySet[Loop]) -> list[Loop]:
        return list(queryset.select_related("candidate", "requisition").order_by("pk"))

    @admin.action(description="Send invites (panel and candidate)…")
    def send_invites(self, request: HttpRequest, queryset: QuerySet[Loop]) -> HttpResponse | None:
        loops = self._loops(queryset)

        def page(error: str) -> HttpResponse:
            entries, people = [], 0
            for loop in loops:
                entry = Entry(f"{loop}", empty="No scheduled interview: nothing to send.")
                for step in services.invite_plan(loop):
                    people += len(step.told)
                    who = names(step.told) or "everyone on its panel has had theirs already"
                    entry.lines.append(f"“{step.interview.title}”: invite to {who}.")
                if entry.lines:
                    entry.lines.append(
                        f"{loop.candidate} gets their schedule ({loop.candidate.email})."
                    )
                entries.append(entry)
            return confirm_page(
                self,
                request,
                action="send_invites",
                objects=loops,
                title="Send invites",
                intro="Each panel member not invited yet gets a calendar invite; each candidate "
                "with a scheduled interview gets their schedule.",
                entries=entries,
                summary=f"{counted(people, 'invite')} to panel members, "
                f"for {counted(len(loops), 'loop')}.",
                submit="Send invites",
                back=self._back(request, loops),
            )

        return confirmed_run(
            self,
            request,
            loops,
            run=lambda loop, by, reason: services.loop_send_invites(loop=loop, by=by),
            verb="Invites scheduled",
            page=page,
        )

    @admin.action(description="Nudge interviewers who owe scorecards…")
    def nudge(self, request: HttpRequest, queryset: QuerySet[Loop]) -> HttpResponse | None:
        loops = self._loops(queryset)

        def page(error: str) -> HttpResponse:
            entries, people = [], 0
            for loop in loops:
                entry = Entry(f"{loop}", empty="Nobody owes a scorecard here.")
                for step in services.nudge_plan(loop):
                    if step.told:
                        people += len(step.told)
                        entry.lines.append(
                            f"“{step.interview.title}”: a reminder to {names(step.told)}."
                        )
                entries.append(entry)
            return confirm_page(
                self,
                request,
                action="nudge",
                objects=loops,
                title="Nudge interviewers",
                intro="Everyone who owes a scorecard for an interview that has ended gets a "
                "reminder now.",
                entries=entries,
                summary=f"{counted(people, 'reminder')}, for {counted(len(loops), 'loop')}.",
                submit="Send reminders",
                back=self._back(request, loops),
            )

        return confirmed_run(
            self,
            request,
            loops,
            run=lambda loop, by, reason: services.loop_nudge(loop=loop, by=by),
            verb="Nudges scheduled",
            page=page,
        )

    @admin.action(description="Withdraw the candidate (cancels future interviews, with a reason)…")
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Loop]) -> HttpResponse | None:
        loops = self._loops(queryset)
        zone = request_user(request).time_zone

        def page(error: str) -> HttpResponse:
            entries, cancelled, told = [], 0, set()
            for loop in loops:
                entry = Entry(
                    f"{loop} ({loop.get_status_display()})",
                    empty="No future interview to cancel.",
                )
                if loop.status == Loop.Status.WITHDRAWN:
                    entry.empty = "Withdrawn already: nothing changes."
                for step in services.withdraw_plan(loop):
                    cancelled += 1
                    told.update(step.told)
                    who = (
                        f"a calendar cancellation goes to {names(step.told)}"
                        if step.told
                        else "nobody was invited yet, so no e-mail"
                    )
                    entry.lines.append(
                        f"Cancels “{step.interview.title}” "
                        f"({when(step.interview.starts_at, zone)}): {who}."
                    )
                entries.append(entry)
            return confirm_page(
                self,
                request,
                action="withdraw",
                objects=loops,
                title="Withdraw candidates",
                intro="Withdrawing closes the loop: its interviews still to come are cancelled "
                "and their panels told; past interviews and their scorecards stay. The candidate "
                "gets no e-mail from Loopwise. The reason is kept in the candidate's audit trail.",
                entries=entries,
                summary=f"Withdraws {counted(len(loops), 'loop')}, cancels "
                f"{counted(cancelled, 'interview')}; {counted(len(told), 'panel member')} "
                f"{'gets' if len(told) == 1 else 'get'} a calendar cancellation.",
                submit="Withdraw",
                back=self._back(request, loops),
                reason_label="Reason (for example, “accepted another offer”):",
                reason_error=error,
            )

        return confirmed_run(
            self,
            request,
            loops,
            run=lambda loop, by, reason: services.loop_withdraw(loop=loop, by=by, reason=reason),
            verb="Interviews cancelled",
            page=page,
        )

    @admin.action(description="Reopen a decided or withdrawn loop (with a reason)…")
    def reopen(self, request: HttpRequest, queryset: QuerySet[Loop]) -> HttpResponse | None:
        loops = list(queryset.select_related("candidate", "requisition").order_by("pk"))
        reason = request.POST.get("reason", "").strip() if "confirm" in request.POST else ""
        if not reason:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Reopen loops",
                "loops": loops,
                "missing_reason": "confirm" in request.POST,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/hiring/loop/reopen.html", context)
        self._run(
            request,
            loops,
            "Loops reopened",
            lambda loop, by: bool(stages.loop_reopen(loop=loop, by=by, reason=reason)),
        )
        return None

    def _run(self, request: HttpRequest, loops: Any, verb: str, run: Any) -> None:
        user = request_user(request)
        done = 0
        for loop in loops:
            try:
                done += run(loop=loop, by=user)
            except ApplicationError as error:
                report(self, request, error, about=loop)
        self.message_user(request, f"{verb}: {done}.", messages.SUCCESS)

    BUTTONS = {"send_invites": send_invites, "nudge": nudge, "withdraw": withdraw}

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:object_id>/run/<str:button>/",
                self.admin_site.admin_view(self.button_view),
                name="hiring_loop_button",
            ),
            path(
                "<int:object_id>/propose/",
                self.admin_site.admin_view(self.propose_view),
                name="hiring_loop_propose",
            ),
            path(
                "<int:object_id>/debrief/",
                self.admin_site.admin_view(self.debrief_view),
                name="hiring_loop_debrief",
            ),
            *super().get_urls(),
        ]

    def propose_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Propose schedules for the plan's open slots, and book one."""
        return proposal_pages.propose_view(self, request, object_id)

    def debrief_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Schedule, move or cancel the loop's debrief (issue 18)."""
        return debrief_pages.debrief_view(self, request, object_id)

    def button_view(self, request: HttpRequest, object_id: int, button: str) -> HttpResponse:
        """A button on the loop page: its action's confirmation page, then the action."""
        if request.method != "POST" or button not in self.BUTTONS:
            raise Http404
        # Only loops this recruiter may see (404 otherwise), and the action rechecks.
        loops = self.get_queryset(request).filter(pk=object_id)
        if not loops.exists() or not self.has_change_permission(request):
            raise Http404
        response = self.BUTTONS[button](self, request, loops)
        if response is not None:
            return response
        return HttpResponseRedirect(reverse("admin:hiring_loop_change", args=[object_id]))


@admin.register(Interview)
class InterviewAdmin(ProfileChoices, admin.ModelAdmin):
    """Interviews across loops, and one interview's own page: the loop page's schedule links
    here to edit one (or add one to the loop), with the same checks as the loop's formset.
    Cancel and no-show are actions that ask first, never a field."""

    form = InterviewAdminForm
    formfield_overrides = FORMFIELD_OVERRIDES
    change_form_template = "admin/hiring/interview/change_form.html"

    list_display = ("title", "loop", "starts_at", "status", "calendar_sequence")
    list_filter = ("status",)
    list_select_related = ("loop__candidate", "loop__requisition")
    search_fields = ("title", "loop__candidate__full_name", "loop__candidate__email")
    actions = ["mark_no_show", "mark_cancelled"]
    fieldsets = (
        (None, {"fields": ("loop", "plan_slot", "title", "status")}),
        (
            "When and where",
            {"fields": (("starts_at", "ends_at"), "time_zone", "location", "video_url")},
        ),
        (
            "Panel and focus",
            {"fields": ("interviewers", "trainees", "focus_dimensions", "case_exercise")},
        ),
        ("Calendar", {"fields": ("calendar_sequence",)}),
    )
    autocomplete_fields = ("loop", "interviewers")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Interview]:
        recruited = access.loops_recruited(request_user(request))
        return super().get_queryset(request).filter(loop__in=recruited.values("pk"))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:  # a new interview is scheduled, at sequence 0
            return tuple(
                (name, {"fields": tuple(f for f in opts["fields"] if f != "status")})
                for name, opts in self.fieldsets[:-1]
            )
        return self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # An interview stays in its loop; its status changes only through the actions.
        return ("loop", "status", "calendar_sequence") if obj is not None else ()

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        loop = obj.loop if obj is not None else self._loop_asked(request)
        request._loop_profile_id = loop.requisition.profile_id if loop else None  # type: ignore[attr-defined]
        plan = plans.plan_for(loop.requisition) if loop else None
        request._plan_slot_ids = [slot.pk for slot in plan.slots] if plan else []  # type: ignore[attr-defined]
        return super().get_form(request, obj, change, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """``?loop=`` picks the loop (Django's own prefill); ``?slot=`` (the loop page's "Add
        next from plan") fills in that plan slot's title, focus and case exercise."""
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        asked = initial.pop("slot", None)
        loop = self._loop_asked(request)
        slot = plans.slot_in_plan(loop.requisition, asked) if loop and asked else None
        if slot is not None:
            initial.update(
                plan_slot=slot.pk,
                title=slot.title,
                focus_dimensions=[dimension.pk for dimension in slot.focus_dimensions.all()],
                case_exercise=slot.case_exercise_id,
            )
        return initial

    def _loop_asked(self, request: HttpRequest) -> Loop | None:
        """The loop an add page is for (``?loop=`` from the loop page, or the one posted)."""
        pk = request.POST.get("loop") or request.GET.get("loop")
        if not pk or not str(pk).isdigit():
            return None
        recruited = access.loops_recruited(request_user(request))
        return recruited.select_related("requisition").filter(pk=pk).first()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        super().save_related(request, form, formsets, change)
        interview = form.instance
        user = request_user(request)
        if change and set(form.changed_data) & {*services.CALENDAR_FIELDS, "interviewers"}:
            before = {person.pk for person in form.initial.get("interviewers") or ()}
            after = {person.pk for person in form.cleaned_data.get("interviewers") or ()}
            if services.interview_rescheduled(
                interview=interview, by=user, removed_ids=before - after
            ):
                self.message_user(
                    request, f"Calendar update sent for “{interview.title}”.", messages.INFO
                )
        self._warn(request, {interview.loop})

    def _to_loop(self, request: HttpRequest, obj: Interview, default: HttpResponse) -> HttpResponse:
        """ "Save" goes back to the loop's schedule; the other buttons keep Django's way."""
        if {"_continue", "_addanother", "_saveasnew"} & set(request.POST):
            return default
        return HttpResponseRedirect(reverse("admin:hiring_loop_change", args=[obj.loop_id]))

    def response_add(
        self, request: HttpRequest, obj: Interview, post_url_continue: Any = None
    ) -> HttpResponse:
        return self._to_loop(request, obj, super().response_add(request, obj, post_url_continue))

    def response_change(self, request: HttpRequest, obj: Interview) -> HttpResponse:
        return self._to_loop(request, obj, super().response_change(request, obj))

    def _end(
        self, request: HttpRequest, queryset: QuerySet[Interview], status: str
    ) -> HttpResponse | None:
        """Cancel or mark no-show, after a page that says what happens and asks why."""
        interviews = list(
            queryset.select_related("loop__candidate", "loop__requisition").order_by(
                "starts_at", "pk"
            )
        )
        zone = request_user(request).time_zone
        cancel = status == Interview.Status.CANCELLED
        name = "mark_cancelled" if cancel else "mark_no_show"

        def page(error: str) -> HttpResponse:
            entries, told = [], set()
            for interview in interviews:
                entry = Entry(
                    f"“{interview.title}”, {interview.loop} "
                    f"({when(interview.starts_at, zone)}, {interview.get_status_display()})"
                )
                step = services.end_plan(interview, status)
                told.update(step.told)
                if interview.status == status:
                    entry.lines.append("Already so: nothing changes.")
                elif cancel:
                    entry.lines.append(
                        f"A calendar cancellation goes to {names(step.told)}."
                        if step.told
                        else "Nobody on the panel was invited yet: no calendar cancellation."
                    )
                    entry.lines.append(f"{interview.loop.candidate} gets their updated schedule.")
                else:
                    entry.lines.append("Nobody is e-mailed.")
                entry.lines.append("Its scorecards are no longer owed.")
                entries.append(entry)
            return confirm_page(
                self,
                request,
                action=name,
                objects=interviews,
                title="Cancel interviews" if cancel else "Mark no-shows",
                intro=(
                    "Cancelling takes the interview off its panel's calendars; it cannot be "
                    "scheduled again (add a new one)."
                    if cancel
                    else "A no-show ends the interview without scorecards."
                )
                + " The reason is kept in the candidate's audit trail.",
                entries=entries,
                summary=(
                    f"{'Cancels' if cancel else 'Marks as no-show'} "
                    f"{counted(len(interviews), 'interview')}; "
                    f"{counted(len(told), 'panel member')} "
                    f"{'gets' if len(told) == 1 else 'get'} a calendar cancellation."
                ),
                submit="Cancel interviews" if cancel else "Mark no-show",
                back=self._back(request, interviews),
                reason_label="Reason (for example, “the candidate asked to move it”):"
                if cancel
                else "What happened (for example, “the candidate did not join”):",
                reason_error=error,
            )

        def run(interview: Interview, by: User, reason: str) -> bool:
            return services.interview_set_status(
                interview=interview, status=status, by=by, reason=reason
            )

        response = confirmed_run(
            self, request, interviews, run=run, verb="Interviews updated", page=page
        )
        if response is None:
            self._warn(request, {interview.loop for interview in interviews})
        return response

    def _warn(self, request: HttpRequest, loops: set[Loop]) -> None:
        """What the loops lack now (a must-have no interview covers any more, say): the
        same warnings the loop page gives when it is saved."""
        for loop in sorted(loops, key=lambda loop: loop.pk):
            for problem in scheduling.problems_for_loop(loop):
                if not problem.blocking:
                    self.message_user(request, f"{loop}: {problem.message}", messages.WARNING)

    def _back(self, request: HttpRequest, interviews: list[Interview]) -> str:
        match = request.resolver_match
        if match is not None and match.url_name == "hiring_interview_button" and interviews:
            return reverse("admin:hiring_loop_change", args=[interviews[0].loop_id])
        return reverse("admin:hiring_interview_changelist")

    @admin.action(description="Mark no-show (no scorecard owed, with a reason)…")
    def mark_no_show(
        self, request: HttpRequest, queryset: QuerySet[Interview]
    ) -> HttpResponse | None:
        return self._end(request, queryset, Interview.Status.NO_SHOW)

    @admin.action(description="Cancel (panel gets a calendar cancellation, with a reason)…")
    def mark_cancelled(
        self, request: HttpRequest, queryset: QuerySet[Interview]
    ) -> HttpResponse | None:
        return self._end(request, queryset, Interview.Status.CANCELLED)

    BUTTONS = {"cancel": mark_cancelled, "no_show": mark_no_show}

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:object_id>/run/<str:button>/",
                self.admin_site.admin_view(self.button_view),
                name="hiring_interview_button",
            ),
            *super().get_urls(),
        ]

    def button_view(self, request: HttpRequest, object_id: int, button: str) -> HttpResponse:
        """Cancel or no-show from the loop's schedule: the confirmation page, then back to
        the loop."""
        if request.method != "POST" or button not in self.BUTTONS:
            raise Http404
        interviews = self.get_queryset(request).filter(pk=object_id)
        interview = interviews.first()
        if interview is None or not self.has_change_permission(request, interview):
            raise Http404
        response = self.BUTTONS[button](self, request, interviews)
        if response is not None:
            return response
        return HttpResponseRedirect(reverse("admin:hiring_loop_change", args=[interview.loop_id]))


@admin.register(Decision)
class DecisionAdmin(ReadOnlyLog, PolicyAdmin):
    """Decisions, read-only for everyone: one is recorded only through
    ``hiring.decisions.decision_record`` (the summary page or the API), which checks who
    decides, the blind rule, the loop's stage and the ladder, and audits it."""

    list_display = ("loop", "outcome", "decided_by", "decided_at", "is_current")
    list_select_related = ("loop__candidate", "loop__requisition", "decided_by")
    fields = readonly_fields = (
        "loop",
        "outcome",
        "level_offered",
        "rationale",
        "decided_by",
        "decided_at",
        "is_current",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Decision]:
        # The recruiter's workplace: decisions of the requisitions they recruit for.
        recruited = access.loops_recruited(request_user(request))
        return super().get_queryset(request).filter(loop__in=recruited.values("pk"))
