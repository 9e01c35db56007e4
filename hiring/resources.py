"""Candidates in bulk through django-import-export: a CSV import with preview and row errors
(a file with any bad row imports nothing), and an export of what the recruiter may see."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from import_export import resources

from .models import Candidate, User

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


class CandidateResource(resources.ModelResource):
    """One row per candidate, keyed by e-mail (case-insensitive): importing the same file
    twice changes nothing, and a row may update a candidate the recruiter already works
    with, never one of someone else's requisitions."""

    def __init__(self, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user

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
        return existing

    def _may_change(self, candidate: Candidate) -> bool:
        user = self.user
        if user is None or user.is_superuser:
            return True
        loops = candidate.loops.all()
        return not loops.exists() or loops.filter(requisition__recruiters=user).exists()
