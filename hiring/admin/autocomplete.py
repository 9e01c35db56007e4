"""Autocomplete widgets that offer exactly what their form accepts.

A loop's candidate, an interview's panel and a requisition's staff are picked with Django's
autocomplete widget (select2, shipped with the admin): the page carries only the chosen
rows, and the browser asks ``/admin/autocomplete/?app_label=&model_name=&field_name=&term=``
for a page of twenty as the recruiter types.

Django answers that request with the rows of the *remote* model's admin (``UserAdmin`` for an
interviewer) and checks only that admin's view permission: it never asks the admin whose
form shows the widget, and answers for any foreign key named in the URL, declared or not.
``ScopedAutocomplete``, the base of every admin a widget asks, narrows the answer to the
*source* form field's queryset, the same queryset that validates the submitted ids: the
admin or inline that declares the field in ``autocomplete_fields``, provided this user may
fill that field in (may add or change the object, and the field is not read-only for them).
When no such form exists the answer is 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin, InlineModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

AUTOCOMPLETE_URL_NAME = "autocomplete"  # Django's name for the site's autocomplete view


def is_autocomplete(request: HttpRequest, site: admin.AdminSite) -> bool:
    match = request.resolver_match
    return (
        match is not None
        and match.url_name == AUTOCOMPLETE_URL_NAME
        and match.namespace == site.name
    )


def _forms(site: admin.AdminSite) -> Iterator[tuple[BaseModelAdmin[Any], admin.ModelAdmin[Any]]]:
    """Every admin and inline of the site, each with the admin whose page shows it."""
    for page in site._registry.values():
        yield page, page
        for inline_class in page.inlines:
            yield inline_class(page.model, site), page


def _may_fill(
    source: BaseModelAdmin[Any], page: admin.ModelAdmin[Any], request: HttpRequest, name: str
) -> bool:
    """Whether ``request.user`` gets ``name`` as an input on the page's add or change form."""
    if name in source.get_readonly_fields(request):
        return False
    if not (page.has_add_permission(request) or page.has_change_permission(request)):
        return False
    if isinstance(source, InlineModelAdmin):
        return bool(
            source.has_add_permission(request, None) or source.has_change_permission(request)
        )
    return True


def field_choices(site: admin.AdminSite, request: HttpRequest) -> QuerySet[Any]:
    """The rows the form field named by an autocomplete request accepts: its form field's
    queryset, asked of the admin (or inline) that declares it an autocomplete field.
    ``PermissionDenied`` when no form this user may fill in has it."""
    try:
        model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        name = request.GET["field_name"]
        db_field = model._meta.get_field(name)
    except (KeyError, LookupError, ValueError) as error:
        raise PermissionDenied from error
    concrete = model._meta.concrete_model
    for source, page in _forms(site):
        if source.model._meta.concrete_model is not concrete:
            continue
        if name not in source.get_autocomplete_fields(request):
            continue
        if not _may_fill(source, page, request, name):
            continue
        formfield: Any = (
            source.formfield_for_manytomany(db_field, request)
            if db_field.many_to_many
            else source.formfield_for_foreignkey(db_field, request)
        )
        if formfield is not None and formfield.queryset is not None:
            queryset: QuerySet[Any] = formfield.queryset
            return queryset
    raise PermissionDenied


class ScopedAutocomplete(admin.ModelAdmin):
    """For an admin that autocomplete widgets ask (``UserAdmin``, ``CandidateAdmin``):
    its answer to an autocomplete request holds only the rows the source field accepts, on
    top of what this admin shows the user."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if is_autocomplete(request, self.admin_site):
            accepted = field_choices(self.admin_site, request)
            queryset = queryset.filter(pk__in=accepted.values("pk"))
        return queryset, may_have_duplicates


def unscoped_autocomplete_fields(site: admin.AdminSite) -> list[str]:
    """``app.model.field`` of every declared autocomplete field whose remote admin is not a
    ``ScopedAutocomplete`` (and so would answer more than the field accepts)."""
    found = []
    for source, _page in _forms(site):
        for name in source.autocomplete_fields:
            remote = source.model._meta.get_field(name).remote_field.model
            if not isinstance(site._registry.get(remote), ScopedAutocomplete):
                found.append(f"{source.model._meta.label_lower}.{name}")
    return found
