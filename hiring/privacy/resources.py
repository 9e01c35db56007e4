"""Candidates in bulk through django-import-export: a CSV import with preview and row errors
(a file with any bad row imports nothing), and an export of what the recruiter may see.
Every created or updated candidate is audited in the import's transaction (DESIGN §7).

Text that a spreadsheet would run as a formula is exported behind a quote, and the import
takes the quote off again (``hiring.spreadsheets``). The library's own
``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` is not used: in 4.x it only deletes a leading
``=`` (changing the data) and leaves ``+``, ``-``, ``@``, tab and carriage return alone."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from import_export import resources

from hiring import access, limits, privacy
from hiring.models import Candidate, User
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


class CandidateResource(resources.ModelResource):
    """One row per candidate, keyed by e-mail (case-insensitive): importing the same file
    twice changes nothing, and a row may update a candidate the recruiter already works
    with, never one of someone else's requisitions."""

    def __init__(self, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user
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

    def after_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        """Audit the row where it was saved: a dry run (the preview) rolls back with it."""
        if self._is_dry_run(kwargs) and not self._is_using_transactions(kwargs):
            return  # nothing was written
        before, after = privacy.changes(self._before, privacy.candidate_snapshot(instance))
        if after:
            action = "candidate.imported" if before is None else "candidate.changed_by_import"
            privacy.audit(action=action, obj=instance, by=self.user, before=before, after=after)

    def _may_change(self, candidate: Candidate) -> bool:
        return self.user is None or access.can(self.user, "change", candidate)
