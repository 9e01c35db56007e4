"""Candidates in bulk through django-import-export: a CSV import with preview and row errors
(a file with any bad row imports nothing), and an export of what the recruiter may see.
Every created or updated candidate is audited in the import's transaction (DESIGN §7), and
every row is put forward for the requisition chosen on the import form (their loop, through
``services.candidate_put_forward``), so its recruiters see the candidates at once.

Text that a spreadsheet would run as a formula is exported behind a quote, and the import
takes the quote off again (``hiring.spreadsheets``). The library's own
``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` is not used: in 4.x it only deletes a leading
``=`` (changing the data) and leaves ``+``, ``-``, ``@``, tab and carriage return alone."""

from __future__ import annotations

from typing import Any

from diff_match_patch import diff_match_patch
from django.core.exceptions import ValidationError
from django.utils.encoding import force_str
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from import_export import resources

from hiring import access, limits, privacy, services
from hiring.models import Candidate, Loop, Requisition, User
from hiring.spreadsheets import safe_cell, unescape_cell

CANDIDATE_COLUMNS = (
    "full_name",
    "email",
    "phone",
    "location",
    "time_zone",
    "current_title",
    "current_company",
    "profile_url",
    "source",
)
# Each column's length, checked with the plain message of ``hiring.limits``.
COLUMN_LIMITS: dict[str, int] = {
    column: limit
    for column in CANDIDATE_COLUMNS
    if (limit := getattr(Candidate._meta.get_field(column), "max_length", None)) is not None
}


# diff_match_patch's operations, as the preview marks them up.
DIFF_TAGS = {diff_match_patch.DIFF_INSERT: "ins", diff_match_patch.DIFF_DELETE: "del"}


class PreviewDiff(resources.Diff):
    """The preview's changes as ``<ins>`` and ``<del>`` without the ``style`` attributes
    ``diff_prettyHtml`` writes: the admin runs under a Content-Security-Policy without
    ``'unsafe-inline'`` styles, which blocks them (one console error per changed cell)."""

    def as_html(self) -> list[SafeString]:
        cells = []
        dmp = diff_match_patch()
        for old, new in zip(self.left, self.right, strict=False):
            diff = dmp.diff_main("" if self.new else force_str(old), force_str(new))
            dmp.diff_cleanupSemantic(diff)
            html = ""
            for operation, text in diff:
                tag = DIFF_TAGS.get(operation)
                html += f"<{tag}>{escape(text)}</{tag}>" if tag else f"<span>{escape(text)}</span>"
            cells.append(mark_safe(html))  # noqa: S308 - every piece of text is escaped
        return cells


class CandidateResource(resources.ModelResource):
    """One row per candidate, keyed by e-mail (case-insensitive): importing the same file
    twice changes nothing, and a row may update a candidate the recruiter already works
    with, never one of someone else's requisitions."""

    def __init__(
        self, user: User | None = None, requisition: Requisition | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.requisition = requisition
        self._before: dict[str, Any] | None = None

    class Meta:
        model = Candidate
        fields = CANDIDATE_COLUMNS
        export_order = CANDIDATE_COLUMNS
        import_id_fields = ("email",)
        clean_model_instances = True  # model validation (time zone, URL, e-mail) per row
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def get_diff_class(self) -> type[resources.Diff]:
        return PreviewDiff

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        for column in CANDIDATE_COLUMNS:
            if column in row:
                row[column] = unescape_cell(row[column])
        email = (row.get("email") or "").strip()
        row["email"] = email
        for column in ("full_name", "time_zone"):
            if column in row and row[column] is not None:
                row[column] = str(row[column]).strip()
        if not row.get("time_zone"):
            row["time_zone"] = "UTC"

    def get_instance(self, instance_loader: Any, row: Any) -> Candidate | None:
        email = (row.get("email") or "").strip()
        if not email:
            return None
        existing = Candidate.objects.filter(email__iexact=email).first()
        if existing is not None and not self._may_change(existing):
            raise ValidationError(
                f"{email} is a candidate of a requisition you do not recruit for."
            )
        if existing is not None and existing.anonymised_at is not None:
            raise ValidationError(f"{email} belongs to an anonymised candidate.")
        return existing

    def validate_instance(
        self,
        instance: Any,
        import_validation_errors: dict[str, Any] | None = None,
        validate_unique: bool = True,
    ) -> None:
        """The model's validation, with a cell over its column's length reported as the
        pages report it (model validation then skips that column)."""
        errors = dict(import_validation_errors or {})
        too_long = limits.length_errors(
            **{
                column: (value, limit)
                for column, limit in COLUMN_LIMITS.items()
                if column not in errors and isinstance(value := getattr(instance, column), str)
            }
        )
        for column, message in too_long.items():
            errors[column] = ValidationError(message, code="max_length")
        super().validate_instance(instance, errors, validate_unique)

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return safe_cell(super().export_field(field, instance, **kwargs))

    def after_init_instance(self, instance: Any, new: bool, row: Any, **kwargs: Any) -> None:
        self._before = None if new else privacy.candidate_snapshot(instance)

    def skip_row(
        self,
        instance: Any,
        original: Any,
        row: Any,
        import_validation_errors: dict[str, Any] | None = None,
    ) -> bool:
        """An unchanged row is skipped, unless its candidate is not yet in a loop for the
        requisition chosen: then the row puts them forward for it."""
        if self._new_to_requisition(instance):
            return False
        return bool(super().skip_row(instance, original, row, import_validation_errors))

    def after_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        """Audit the row and put the candidate forward where it was saved: a dry run (the
        preview) rolls back with it."""
        if self._is_dry_run(kwargs) and not self._is_using_transactions(kwargs):
            return  # nothing was written
        before, after = privacy.changes(self._before, privacy.candidate_snapshot(instance))
        if after:
            action = "candidate.imported" if before is None else "candidate.changed_by_import"
            privacy.audit(action=action, obj=instance, by=self.user, before=before, after=after)
        if self.requisition is not None:
            services.candidate_put_forward(
                candidate=instance, requisition=self.requisition, by=self.user
            )

    def _new_to_requisition(self, candidate: Candidate) -> bool:
        return (
            self.requisition is not None
            and candidate.pk is not None
            and not Loop.objects.filter(candidate=candidate, requisition=self.requisition).exists()
        )

    def _may_change(self, candidate: Candidate) -> bool:
        return self.user is None or access.can(self.user, "change", candidate)
