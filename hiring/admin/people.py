"""People in the admin: administrators manage accounts; a recruiter looks up names and
e-mails to staff panels. Wherever a form picks a person, it is typed into an autocomplete
widget that asks ``UserAdmin`` (scoped to the field: ``hiring.admin.autocomplete``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from hiring import access
from hiring.admin.autocomplete import ScopedAutocomplete
from hiring.admin.base import request_user
from hiring.models import (
    User,
)


@admin.register(User)
class UserAdmin(ScopedAutocomplete, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        ("Loopwise", {"fields": ("time_zone",)}),
    )
    list_display = ("username", "email", "first_name", "last_name", "time_zone", "is_staff")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        visible = access.visible(request_user(request), User)
        return super().get_queryset(request).filter(pk__in=visible.values("pk"))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if access.administers(request_user(request)):
            return super().get_fieldsets(request, obj)
        # A recruiter looks people up to staff panels: no password hash, groups or flags.
        return ((None, {"fields": ("username", "first_name", "last_name", "email", "time_zone")}),)
