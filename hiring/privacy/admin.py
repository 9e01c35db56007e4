"""Candidates and their personal data in the admin (DESIGN §7): the candidate list with its
CSV import and export, export of one candidate's data, erase on request, and the read-only
audit trail. The rules themselves are in ``hiring.privacy``."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats
from import_export.forms import ConfirmImportForm, ImportForm

from hiring import access, attachments, privacy, services
from hiring.admin.base import (
    FORMFIELD_OVERRIDES,
    ReadOnlyLog,
    ScopedAutocomplete,
    report,
    request_user,
)
from hiring.errors import ApplicationError, Invalid, add_to_form
from hiring.models import Attachment, AuditEvent, Candidate, Requisition, User
from hiring.privacy.candidate_page import candidate_page
from hiring.privacy.resources import CandidateResource

REQUISITION_HELP = (
    "The requisition they are put forward for: its recruiters see them at once, in a loop "
    "waiting to be scheduled."
)


def requisition_choices(user: User) -> QuerySet[Requisition]:
    """The requisitions ``user`` may put a new candidate forward for: theirs, still hiring."""
    return (
        access.requisitions_recruited(user)
        .exclude(status__in=services.CLOSED_REQUISITIONS)
        .order_by("title")
    )


def offer_requisitions(form: forms.BaseForm, user: User) -> None:
    """Narrow the form's ``requisition`` field to ``user``'s (a form instance's own copy of
    the field: the class is shared between requests). Only an administrator may leave it
    empty."""
    field = form.fields["requisition"]
    field.queryset = requisition_choices(user)  # type: ignore[attr-defined]
    field.required = not access.administers(user)
    if not field.required:
        field.help_text = f"{REQUISITION_HELP} An administrator may leave it empty."


class CandidateAddForm(forms.ModelForm):
    """The add form: the candidate's contact data and the requisition they are for."""

    requisition = forms.ModelChoiceField(
        queryset=Requisition.objects.none(), help_text=REQUISITION_HELP
    )


class CandidateImportForm(ImportForm):
    """The import's first step: the file, and the requisition every row is put forward for
    (a file from a job board or a spreadsheet says nothing about requisitions, and the
    candidate export's columns stay the import's)."""

    requisition = forms.ModelChoiceField(
        queryset=Requisition.objects.none(),
        help_text="Every candidate in the file is put forward for it: its recruiters see them "
        "at once.",
    )

    def clean_import_file(self) -> Any:
        """A file over ``IMPORT_MAX_MB`` is refused before a row is parsed: the import reads
        the whole file into memory for its preview."""
        file = self.cleaned_data.get("import_file")
        limit = int(settings.IMPORT_MAX_MB)
        if file is not None and file.size > limit * 1024 * 1024:
            raise forms.ValidationError(
                f"This file is {file.size / (1024 * 1024):.1f} MB; an import takes up to "
                f"{limit} MB. Split it into smaller files and import each."
            )
        return file


class CandidateConfirmImportForm(ConfirmImportForm):
    """The confirm step carries the requisition on, checked again (it is posted anew)."""

    requisition = forms.ModelChoiceField(
        queryset=Requisition.objects.none(), widget=forms.HiddenInput
    )


# --- Attachments: the candidate's documents ---------------------------------------------


class AttachmentUploadForm(forms.ModelForm):
    """One new document on the candidate's page: judged by its content before anything is
    stored (``hiring.attachments.validate_upload``); the service stores and audits it."""

    class Meta:
        model = Attachment
        fields = ("kind", "file")
        widgets = {"file": forms.ClearableFileInput(attrs={"accept": attachments.ACCEPT_ATTRIBUTE})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "file"
        ].help_text = f"{attachments.ACCEPTED}, up to {attachments.max_megabytes()} MB."

    def clean_file(self) -> Any:
        file = self.cleaned_data.get("file")
        if file is not None:
            try:
                attachments.validate_upload(file)
            except Invalid as error:
                add_to_form(self, error)
        return file


@admin.register(Candidate)
class CandidateAdmin(ScopedAutocomplete, ImportExportModelAdmin):
    """Candidates of the recruiter's own requisitions; CSV import (with a preview, nothing
    imported when any row is bad) and export of what the list shows. Personal data (DESIGN
    §7): every save and delete is audited, one candidate's data exports as JSON, and an
    erase on request anonymises them; an anonymised candidate is read-only. A loop's
    candidate widget asks it, and gets only the candidates the loop form accepts."""

    formfield_overrides = FORMFIELD_OVERRIDES

    change_form_template = "admin/hiring/candidate/change_form.html"
    list_display = (
        "full_name",
        "email",
        "current_title",
        "current_company",
        "source",
        "personal_data",
    )
    list_filter = (("anonymised_at", admin.EmptyFieldListFilter),)
    search_fields = ("full_name", "email")
    resource_classes = [CandidateResource]
    formats = [base_formats.CSV]
    import_form_class = CandidateImportForm
    confirm_form_class = CandidateConfirmImportForm
    actions = ["export_personal_data", "erase"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Candidate]:
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=access.candidates_recruited(request_user(request)).values("pk"))
        )

    @admin.display(description="personal data", ordering="anonymised_at")
    def personal_data(self, obj: Candidate) -> str:
        if obj.anonymised_at is None:
            return "held"
        return f"anonymised {obj.anonymised_at:%Y-%m-%d}"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An anonymised candidate opens as a view: no Save button to bring data back with.
        if obj is not None and obj.anonymised_at is not None:
            return False
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or access.can(request_user(request), "change", obj))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.anonymised_at is not None:
            # Nothing typed here may bring personal data back by accident.
            return [field.name for field in Candidate._meta.fields if field.editable]
        return ["anonymised_at"]

    # --- Adding: put forward for a requisition -------------------------------------------

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        user = request_user(request)

        class AddForm(CandidateAddForm):
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, **form_kwargs)
                offer_requisitions(self, user)

        return super().get_form(request, obj, change=change, **{**kwargs, "form": AddForm})

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = [name for name in super().get_fields(request, obj) if name != "requisition"]
        # the requisition first on the add form: it says whose candidate this is
        return fields if obj is not None else ["requisition", *fields]

    # --- Importing: every row put forward for the requisition chosen -----------------------

    def create_import_form(self, request: HttpRequest) -> Any:
        form = super().create_import_form(request)
        offer_requisitions(form, request_user(request))
        return form

    def create_confirm_form(self, request: HttpRequest, import_form: Any = None) -> Any:
        form = super().create_confirm_form(request, import_form)
        offer_requisitions(form, request_user(request))
        return form

    def get_confirm_form_initial(self, request: HttpRequest, import_form: Any) -> dict[str, Any]:
        initial = dict(super().get_confirm_form_initial(request, import_form))
        requisition = import_form.cleaned_data.get("requisition") if import_form else None
        if requisition is not None:
            initial["requisition"] = requisition.pk
        return initial

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        form = kwargs.get("form")
        return {
            **super().get_import_resource_kwargs(request, **kwargs),
            "user": request_user(request),
            "requisition": getattr(form, "cleaned_data", {}).get("requisition"),
        }

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    # --- The candidate page: loops, interviews and the activity timeline -----------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        candidate = (
            self.get_queryset(request).filter(pk=object_id).first()
            if str(object_id).isdigit()
            else None
        )
        if candidate is not None:
            context.update(candidate_page(request_user(request), candidate))
            context.update(self._documents(request, candidate))
        return super().change_view(request, object_id, form_url, extra_context=context)

    # --- Saving and deleting: audited ----------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: Any) -> None:
        if change:
            privacy.candidate_save(candidate=obj, by=request_user(request))
            return
        requisition = form.cleaned_data.get("requisition")
        services.candidate_create(candidate=obj, requisition=requisition, by=request_user(request))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        privacy.candidate_delete(candidate=obj, by=request_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        for candidate in queryset.order_by("pk"):
            privacy.candidate_delete(candidate=candidate, by=request_user(request))

    # --- Export and erase ----------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:object_id>/personal-data/",
                self.admin_site.admin_view(self.export_view),
                name="hiring_candidate_export_json",
            ),
            path(
                "<int:object_id>/attachments/",
                self.admin_site.admin_view(self.attachments_view),
                name="hiring_candidate_attachments",
            ),
            path(
                "<int:object_id>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="hiring_candidate_erase",
            ),
            *super().get_urls(),
        ]

    def _visible(self, request: HttpRequest, object_id: int) -> Candidate:
        """The candidate if this user may see it; 404 otherwise (never a hint it exists)."""
        candidate = self.get_queryset(request).filter(pk=object_id).first()
        if candidate is None or not self.has_view_permission(request, candidate):
            raise Http404
        return candidate

    def _download(self, request: HttpRequest, candidate: Candidate) -> HttpResponse:
        data = privacy.candidate_export(candidate=candidate, by=request_user(request))
        response = HttpResponse(
            json.dumps(data, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="candidate-{candidate.pk}.json"'
        return response

    def export_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            raise Http404  # exporting is audited: a POST, never a prefetch or a crawler
        return self._download(request, self._visible(request, object_id))

    def erase_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        candidate = self._visible(request, object_id)
        if not self.has_change_permission(request, candidate):
            raise Http404
        done = self._confirm_erase(request, [candidate], action_url=request.path)
        if done is not None:
            return done
        return HttpResponseRedirect(reverse("admin:hiring_candidate_change", args=[candidate.pk]))

    # --- Documents: upload and remove on the candidate's page --------------------------

    def _documents(
        self, request: HttpRequest, candidate: Candidate, form: Any = None
    ) -> dict[str, Any]:
        user = request_user(request)
        may_attach = candidate.anonymised_at is None and access.can(user, "attach", candidate)
        documents = access.visible(user, Attachment).filter(candidate=candidate)
        return {
            "documents": [
                (document, attachments.download_url(document))
                for document in documents.select_related("uploaded_by")
            ],
            "may_attach": may_attach,
            "attachment_form": form or AttachmentUploadForm(),
        }

    def attachments_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """POST a new document (``kind``, ``file``) or ``remove=<id>``; back to the page
        with what happened. Nothing is stored for a file that is refused."""
        candidate = self._visible(request, object_id)
        user = request_user(request)
        if request.method != "POST" or not access.can(user, "attach", candidate):
            raise Http404
        back = HttpResponseRedirect(
            reverse("admin:hiring_candidate_change", args=[candidate.pk]) + "#lw-documents"
        )
        try:
            if "remove" in request.POST:
                document = (
                    Attachment.objects.filter(candidate=candidate)
                    .filter(pk=request.POST["remove"] if request.POST["remove"].isdigit() else 0)
                    .first()
                )
                if document is None:
                    raise Http404
                attachments.attachment_remove(attachment=document, by=user)
                self.message_user(request, f"Removed {document.name}.", messages.SUCCESS)
                return back
            form = AttachmentUploadForm(request.POST, request.FILES)
            if not form.is_valid():
                for errors in form.errors.values():
                    for error in errors:
                        self.message_user(request, f"Not uploaded: {error}", messages.ERROR)
                return back
            document = attachments.attachment_add(
                candidate=candidate,
                file=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                by=user,
            )
        except ApplicationError as error:
            report(self, request, error)
            return back
        self.message_user(request, f"Uploaded {document.name}.", messages.SUCCESS)
        return back

    @admin.action(description="Export personal data (JSON, one candidate)")
    def export_personal_data(
        self, request: HttpRequest, queryset: QuerySet[Candidate]
    ) -> HttpResponse | None:
        candidates = list(queryset[:2])
        if len(candidates) != 1:
            self.message_user(request, "Export one candidate at a time.", messages.WARNING)
            return None
        return self._download(request, candidates[0])

    @admin.action(description="Erase on the candidate's request…", permissions=["change"])
    def erase(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> HttpResponse | None:
        return self._confirm_erase(request, list(queryset.order_by("pk")), action_url="")

    def _confirm_erase(
        self, request: HttpRequest, candidates: list[Candidate], *, action_url: str
    ) -> HttpResponse | None:
        """The confirmation page until a reason is posted; then erase, one candidate per
        transaction. Returns None once done (the caller redirects)."""
        reason = request.POST.get("reason", "").strip() if "confirm" in request.POST else ""
        if not reason:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Erase personal data",
                "candidates": candidates,
                "action_url": action_url,
                "missing_reason": "confirm" in request.POST,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/hiring/candidate/erase.html", context)
        user = request_user(request)
        erased = 0
        for candidate in candidates:
            try:
                erased += privacy.candidate_erase(candidate=candidate, by=user, reason=reason)
            except ApplicationError as error:
                report(self, request, error, about=candidate)
                break  # the same reason would fail for the next candidate too
        self.message_user(request, f"Candidates erased: {erased}.", messages.SUCCESS)
        return None


class AuditCandidateFilter(admin.SimpleListFilter):
    """``?candidate=<id>``: the trail of one candidate, their scorecards and decisions."""

    title = "candidate"
    parameter_name = "candidate"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        return [(value, f"Candidate #{value}")] if value and value.isdigit() else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> Any:
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        # a deleted candidate's link is gone; their own rows still name them
        return queryset.filter(
            Q(candidate_id=value) | Q(object_type=privacy.CANDIDATE, object_id=value)
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyLog, admin.ModelAdmin):
    """The personal-data trail (DESIGN §7), read-only. Recruiters see the events about
    their own candidates, those candidates' scorecards and decisions."""

    list_display = ("at", "actor", "action", "object_type", "object_id")
    list_filter = (AuditCandidateFilter, "action", "object_type")
    list_select_related = ("actor",)
    readonly_fields = ("at", "actor", "action", "object_type", "object_id", "before", "after")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        visible = access.visible(request_user(request), AuditEvent)
        return super().get_queryset(request).filter(pk__in=visible.values("pk"))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may view candidates may read their trail (scoped by get_queryset).
        return super().has_view_permission(request, obj) or request.user.has_perm(
            "hiring.view_candidate"
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or request.user.has_perm(
            "hiring.view_candidate"
        )
