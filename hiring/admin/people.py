"""People in the admin: administrators manage accounts; a recruiter looks up names and
e-mails to staff panels. Wherever a form picks a person, it is typed into an autocomplete
widget that asks ``UserAdmin`` (scoped to the field: ``hiring.admin.autocomplete``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from hiring import access
from hiring.admin.autocomplete import ScopedAutocomplete
from hiring.admin.base import request_user
from hiring.models import (
    User,
)
from signin import two_factor


@admin.register(User)
class UserAdmin(ScopedAutocomplete, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        ("Loopwise", {"fields": ("time_zone",)}),
    )
    list_display = ("username", "email", "first_name", "last_name", "time_zone", "is_staff")

    change_form_template = "admin/hiring/user/change_form.html"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A superuser finds "Reset two-factor" on the page of someone who uses it (a lost
        phone): it opens the reset page with their username filled in."""
        context = dict(extra_context or {})
        person = self.get_object(request, object_id)
        if (
            person is not None
            and request_user(request).is_superuser
            and two_factor.is_enrolled(person)
        ):
            context["two_factor_reset_url"] = (
                f"{reverse('two_factor_reset')}?{urlencode({'username': person.get_username()})}"
            )
        return super().change_view(request, object_id, form_url, context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        visible = access.visible(request_user(request), User)
        return super().get_queryset(request).filter(pk__in=visible.values("pk"))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if access.administers(request_user(request)):
            return super().get_fieldsets(request, obj)
        # A recruiter looks people up to staff panels: no password hash, groups or flags.
        return ((None, {"fields": ("username", "first_name", "last_name", "email", "time_zone")}),)
