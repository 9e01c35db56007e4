"""Interview plans in the admin (issue 17): a role profile's plan on its page (administrators
edit it, recruiters read it), a requisition's own plan on the requisition's page (its
recruiters edit it). Who may do what is asked of ``hiring.access`` (``change_plan`` on the
page's object); the formset refuses a plan that could never be scheduled."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from hiring import access
from hiring.admin.base import request_user
from hiring.models import CaseExercise, Dimension, PlanSlot, Requisition, RoleProfile, User
from hiring.scheduling import plans


def _profile_of(owner: Any) -> RoleProfile | None:
    if isinstance(owner, RoleProfile):
        return owner
    if isinstance(owner, Requisition):
        return owner.profile
    return None


class PlanFormSet(BaseInlineFormSet):
    """Checks the plan as a whole: focus and case exercises of the profile, one slot per
    position, no order in a circle (each form has checked its own slot already)."""

    def clean(self) -> None:
        super().clean()
        profile = _profile_of(self.instance)
        if any(self.errors) or profile is None:
            return
        rows = []
        for number, form in enumerate(self.forms):
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            after = data.get("after")
            rows.append(
                plans.SlotRow(
                    key=form.instance.pk or f"new-{number}",
                    title=data.get("title") or "Untitled slot",
                    position=data.get("position") or 0,
                    dimensions=list(data.get("focus_dimensions") or ()),
                    case_exercise=data.get("case_exercise"),
                    after=after.pk if after is not None else None,
                    hiring_manager_required=bool(data.get("hiring_manager_required")),
                )
            )
        errors = plans.plan_errors(profile, rows)
        if errors:
            raise ValidationError(errors)


class PlanSlotInline(admin.StackedInline):
    """One plan's slots. Subclasses name the owner (``fk_name``)."""

    model = PlanSlot
    formset = PlanFormSet
    extra = 0
    fields = (
        ("position", "title", "slug"),
        ("minutes", "buffer_before_minutes", "buffer_after_minutes"),
        "focus_dimensions",
        "case_exercise",
        ("pool", "hiring_manager_required"),
        ("after", "same_day"),
    )
    prepopulated_fields = {"slug": ("title",)}
    # A tenant has thousands of people: the pool is picked by typing. A profile has about
    # ten dimensions: those stay a list of boxes.
    autocomplete_fields = ("pool",)

    def _may(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or access.can(request_user(request), "change_plan", obj)

    def has_add_permission(self, request: HttpRequest, obj: Any) -> bool:  # type: ignore[override]
        return super().has_add_permission(request, obj) and self._may(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanSlot]:
        visible = access.visible(request_user(request), PlanSlot)
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=visible.values("pk"))
            .select_related("case_exercise", "after")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        locked = access.readonly_fields(request_user(request), PlanSlot)
        return (*super().get_readonly_fields(request, obj), *sorted(locked))

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # The choices follow the page's object: its profile's rubric, its own plan's slots.
        request._plan_owner = obj  # type: ignore[attr-defined]
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        owner = getattr(request, "_plan_owner", None)
        profile = _profile_of(owner)
        if db_field.name == "case_exercise":
            kwargs["queryset"] = CaseExercise.objects.filter(profile=profile)
        if db_field.name == "after":
            kwargs["queryset"] = (
                PlanSlot.objects.filter(**{str(self.fk_name): owner})
                if owner is not None
                else PlanSlot.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "focus_dimensions":
            profile = _profile_of(getattr(request, "_plan_owner", None))
            kwargs["queryset"] = Dimension.objects.filter(profile=profile).order_by("order")
            kwargs["widget"] = forms.CheckboxSelectMultiple
        if db_field.name == "pool":
            kwargs["queryset"] = User.objects.filter(is_active=True).order_by(
                "first_name", "last_name"
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ProfilePlanInline(PlanSlotInline):
    fk_name = "profile"
    verbose_name = "interview plan slot"
    verbose_name_plural = "Interview plan (every requisition of this role follows it)"


class RequisitionPlanInline(PlanSlotInline):
    fk_name = "requisition"
    verbose_name = "interview plan slot"
    verbose_name_plural = (
        "Interview plan of this requisition (with a slot here, it replaces the role profile's)"
    )
