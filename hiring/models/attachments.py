"""Documents about a candidate (a CV, work samples): personal data, stored through Django's
storage API (``STORAGES["default"]``, a folder under ``MEDIA_ROOT`` or an S3-compatible
bucket), never served from a public URL: ``hiring.attachments`` checks the access policy
and streams each download."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.db import models
from django.utils.text import get_valid_filename

from hiring.models.base import User
from hiring.models.pipeline import Candidate


def attachment_path(instance: Attachment, filename: str) -> str:
    """``attachments/<uuid4>/<safe name>``: a path nobody can guess from the candidate, the
    row or the name, and whose last part still reads as the uploaded file's name."""
    name = get_valid_filename(PurePath(filename).name)[-100:] or "file"
    return f"attachments/{uuid.uuid4().hex}/{name}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        CV = "cv", "CV"
        WORK_SAMPLE = "work_sample", "Work sample"
        OTHER = "other", "Other"

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField("label", max_length=20, choices=Kind.choices, default=Kind.CV)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(max_length=255, help_text="The file's name as it was uploaded.")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(help_text="In bytes.")
    uploaded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"
