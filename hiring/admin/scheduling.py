"""Interviewers' scheduling in the admin (issue 17): their scheduling profiles (meeting hours
per weekday, limits, qualifications), training records, and the load view for a week
(``/admin/hiring/schedulingprofile/load/?week=YYYY-MM-DD``).

Whose rows a recruiter sees and edits is asked of ``hiring.access``: the people in the
pools, panels and training of the plans and loops of their requisitions (superusers: all).
The load view reads only, in a fixed number of queries however many people and interviews.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from hiring import access
from hiring.admin.base import FORMFIELD_OVERRIDES, PolicyAdmin, request_user
from hiring.models import (
    CaseExercise,
    Dimension,
    Interview,
    PlanSlot,
    SchedulingProfile,
    TrainingRecord,
    User,
)
from hiring.models.profiles import WEEKDAY_NAMES, WEEKDAYS
from hiring.scheduling import profiles

LOAD_TEMPLATE = "admin/hiring/interviewer_load.html"


def _key_fields_locked(
    request: HttpRequest, obj: Any, model: type[Any], keys: frozenset[str]
) -> tuple[str, ...]:
    """Fields fixed once the row exists (whose profile, whose training on which slot: a
    superuser too makes a new row rather than moving one), and any the policy locks
    (``access.readonly_fields``); a new row sets its keys."""
    if obj is None:
        return ()
    return tuple(sorted(keys | access.readonly_fields(request_user(request), model)))


class ProfiledChoices(forms.ModelMultipleChoiceField):
    """Dimensions and case exercises named with their role profile: several profiles name a
    dimension alike."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.profile.name})"


@admin.register(SchedulingProfile)
class SchedulingProfileAdmin(PolicyAdmin):
    formfield_overrides = FORMFIELD_OVERRIDES
    change_list_template = "admin/hiring/schedulingprofile/change_list.html"
    list_display = ("user", "hours", "day_limit", "week_limit")
    list_select_related = ("user",)
    search_fields = ("user__first_name", "user__last_name", "user__email")
    # A tenant has thousands of people: the person is picked by typing (the widget's answer
    # is this form's own choices: ``hiring.admin.autocomplete``).
    autocomplete_fields = ("user",)
    fieldsets = (
        (None, {"fields": ("user",)}),
        (
            "Meeting hours, in the person's own time zone",
            {
                "fields": tuple((f"{day}_start", f"{day}_end") for day in WEEKDAYS),
                "description": "Interviews are proposed inside these hours only.",
            },
        ),
        ("Limits", {"fields": (("day_limit", "week_limit"),)}),
        ("Qualified for", {"fields": ("qualified_dimensions", "qualified_cases")}),
    )

    @admin.display(description="meeting hours")
    def hours(self, obj: SchedulingProfile) -> str:
        parts = []
        for n, name in enumerate(WEEKDAY_NAMES):
            span = obj.hours(n)
            if span:
                parts.append(f"{name[:3]} {span[0]:%H:%M}-{span[1]:%H:%M}")
        return ", ".join(parts) or "No interviews"

    def get_urls(self) -> list[Any]:
        return [
            path(
                "load/",
                self.admin_site.admin_view(self.load_view),
                name="hiring_interviewer_load",
            ),
            *super().get_urls(),
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.administers(request_user(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return _key_fields_locked(request, obj, SchedulingProfile, access.SCHEDULE_KEY_FIELDS)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            # Only people this recruiter schedules, and only those without a profile yet.
            kwargs["queryset"] = (
                access.people_scheduled(request_user(request))
                .filter(is_active=True, scheduling_profile__isnull=True)
                .order_by("first_name", "last_name", "pk")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "qualified_dimensions":
            kwargs["queryset"] = Dimension.objects.select_related("profile").order_by(
                "profile__name", "order"
            )
            kwargs["widget"] = forms.CheckboxSelectMultiple
        if db_field.name == "qualified_cases":
            kwargs["queryset"] = CaseExercise.objects.select_related("profile").order_by(
                "profile__name", "title"
            )
            kwargs["widget"] = forms.CheckboxSelectMultiple
        if db_field.name in ("qualified_dimensions", "qualified_cases"):
            kwargs["form_class"] = ProfiledChoices
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def load_view(self, request: HttpRequest) -> HttpResponse:
        """The interviewer load view: reads only."""
        user = request_user(request)
        monday = _week_of(request.GET.get("week"), timezone.localdate())
        rows = interviewer_load(user, monday)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Interviewer load · week of {monday:%d %b %Y}",
            "days": [monday + timedelta(days=n) for n in range(7)],
            "rows": rows,
            "previous": f"?week={monday - timedelta(days=7):%Y-%m-%d}",
            "next": f"?week={monday + timedelta(days=7):%Y-%m-%d}",
            "may_add_profile": self.has_add_permission(request),
            "add_url": reverse("admin:hiring_schedulingprofile_add"),
        }
        return TemplateResponse(request, LOAD_TEMPLATE, context)


def _week_of(asked: str | None, today: date) -> date:
    """The Monday of the week asked (``YYYY-MM-DD``, any day of it), else of this week."""
    try:
        day = date.fromisoformat(asked) if asked else today
    except ValueError:
        day = today
    return day - timedelta(days=day.weekday())


@dataclass
class LoadRow:
    person: User
    terms: profiles.Terms
    has_profile: bool
    days: list[tuple[int, str]]  # interviews per day, and the day's verdict in words
    week_total: int
    week_note: str  # over the week's limit, in words ("" when not)
    training: list[str]
    profile_url: str


def _verdict(count: int, limit: int, what: str) -> str:
    if count > limit:
        return f"over the {what} limit of {limit} by {count - limit}"
    if count == limit and limit:
        return f"at the {what} limit"
    return ""


def interviewer_load(viewer: User, monday: date) -> list[LoadRow]:
    """Each person ``viewer`` schedules who is in a pool or in training on their plans, or on
    a panel of their loops this week: interviews per day of the week starting ``monday``
    against their limits, and their training. Six queries whatever the numbers."""
    utc = ZoneInfo("UTC")
    # A day before and after, so each person's own days (their zone) are complete.
    start = datetime.combine(monday - timedelta(days=1), time.min, tzinfo=utc)
    end = datetime.combine(monday + timedelta(days=8), time.min, tzinfo=utc)
    slots = access.plan_slots_recruited(viewer).values("pk")
    this_week = Interview.objects.filter(starts_at__gte=start, starts_at__lt=end).exclude(
        status__in=Interview.NO_FEEDBACK_STATUSES
    )
    panels = Interview.interviewers.through.objects.filter(
        interview__in=this_week.filter(loop__in=access.loops_recruited(viewer).values("pk"))
    )
    people = list(
        User.objects.filter(is_active=True)
        .filter(
            Q(pk__in=PlanSlot.pool.through.objects.filter(planslot__in=slots).values("user_id"))
            | Q(pk__in=TrainingRecord.objects.filter(plan_slot__in=slots).values("person_id"))
            | Q(pk__in=panels.values("user_id"))
        )
        .filter(pk__in=access.people_scheduled(viewer).values("pk"))
        .order_by("first_name", "last_name", "pk")
    )
    terms = profiles.terms_for(people)
    with_profile = set(
        SchedulingProfile.objects.filter(user__in=people).values_list("user_id", flat=True)
    )
    # Load is load: every live interview of theirs counts, whoever's loop it is.
    seats = Interview.interviewers.through.objects.filter(
        user__in=people, interview__in=this_week
    ).values_list("user_id", "interview__starts_at")
    per_day: dict[int, Counter[date]] = {}
    for pk, starts_at in seats:
        local = starts_at.astimezone(ZoneInfo(terms[pk].zone)).date()
        per_day.setdefault(pk, Counter())[local] += 1
    training: dict[int, list[str]] = {}
    records = list(
        TrainingRecord.objects.filter(person__in=people, plan_slot__in=slots).select_related(
            "plan_slot", "person"
        )
    )
    for found in profiles.trainings(records):
        training.setdefault(found.record.person_id, []).append(found.progress)
    add_url = reverse("admin:hiring_schedulingprofile_add")
    rows = []
    for person in people:
        mine = terms[person.pk]
        counts = per_day.get(person.pk, Counter())
        days = [
            (counts[day], _verdict(counts[day], mine.day_limit, "day's"))
            for day in (monday + timedelta(days=n) for n in range(7))
        ]
        total = sum(n for n, _ in days)
        rows.append(
            LoadRow(
                person=person,
                terms=mine,
                has_profile=person.pk in with_profile,
                days=days,
                week_total=total,
                week_note=_verdict(total, mine.week_limit, "week's"),
                training=training.get(person.pk, []),
                profile_url=f"{add_url}?user={person.pk}",
            )
        )
    return rows


def _completed_trainee_seats() -> Any:
    """For a TrainingRecord queryset: the completed interviews of its slot its person sat in
    as a trainee (a subquery, so a page of records costs one query)."""
    seats = (
        Interview.trainees.through.objects.filter(
            user_id=OuterRef("person_id"),
            interview__plan_slot_id=OuterRef("plan_slot_id"),
            interview__status=Interview.Status.COMPLETED,
        )
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")  # type: ignore[misc]  # the stubs miss annotations in values()
    )
    return Coalesce(Subquery(seats, output_field=IntegerField()), Value(0))


@admin.register(TrainingRecord)
class TrainingRecordAdmin(PolicyAdmin):
    list_display = ("person", "plan_slot", "plan", "state")
    list_select_related = ("person", "plan_slot__requisition", "plan_slot__profile")
    search_fields = ("person__first_name", "person__last_name", "plan_slot__title")
    fields = ("person", "plan_slot", "state_set", "progress")
    autocomplete_fields = ("person",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TrainingRecord]:
        return super().get_queryset(request).annotate(_seats=_completed_trainee_seats())

    def _training(self, obj: TrainingRecord) -> profiles.Training:
        seats = getattr(obj, "_seats", None)
        if seats is None:
            return profiles.trainings([obj])[0]
        state = (
            profiles.State(obj.state_set)
            if obj.state_set
            else profiles.derived_state(obj.plan_slot, seats)
        )
        return profiles.Training(obj, seats, state)

    @admin.display(description="state")
    def state(self, obj: TrainingRecord) -> str:
        return profiles.State(self._training(obj).state).label

    @admin.display(description="progress")
    def progress(self, obj: TrainingRecord) -> str:
        if obj.pk is None:
            return "—"
        return self._training(obj).progress

    @admin.display(description="plan")
    def plan(self, obj: TrainingRecord) -> str:
        return str(obj.plan_slot.owner)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        locked = _key_fields_locked(request, obj, TrainingRecord, access.TRAINING_KEY_FIELDS)
        return ("progress", *locked)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or access.can(request_user(request), "change", obj))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        user = request_user(request)
        if db_field.name == "plan_slot":
            kwargs["queryset"] = access.plan_slots_recruited(user).select_related(
                "requisition", "profile"
            )
        if db_field.name == "person":
            kwargs["queryset"] = (
                access.people_scheduled(user)
                .filter(is_active=True)
                .order_by("first_name", "last_name", "pk")
            )
            kwargs["help_text"] = (
                "A trainee sits on the slot's panels, so they come from its pool (or from "
                "your loops' panels): add them to the slot's pool first if typing their name "
                "finds nobody."
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
