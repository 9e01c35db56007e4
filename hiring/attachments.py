"""A candidate's documents (a CV, work samples): what may be uploaded, adding and removing
them, and the one view that hands them out.

A file is judged by its content, not its name: its first bytes must be a PDF, a Word
document (a ZIP holding ``[Content_Types].xml`` and ``word/document.xml``), a PNG or a JPEG,
and its name must end as that type's names do, so a renamed program is refused and a
download never claims to be what it is not. Nothing is stored for a refused file.

Files are stored through Django's storage API (``STORAGES["default"]``) under
``attachments/<uuid4>/<name>`` and never served from ``MEDIA_URL``: ``download`` checks the
access policy, audits, and streams the file as an attachment. Adding, removing and every
download are on the candidate's audit trail; erasure deletes the files
(``hiring.privacy.erase``)."""

from __future__ import annotations

import contextlib
import logging
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hiring import access
from hiring.errors import Invalid
from hiring.models import Attachment, Candidate, Interview, User
from hiring.privacy.audit import audit
from hiring.privacy.erase import delete_stored


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("PDF", "application/pdf", (".pdf",))
DOCX = FileType(
    "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
PNG = FileType("PNG image", "image/png", (".png",))
JPEG = FileType("JPEG image", "image/jpeg", (".jpg", ".jpeg"))
ACCEPTED = "PDF, Word (.docx), PNG or JPEG"
# The upload form's hint to the browser; the content check below is what decides.
ACCEPT_ATTRIBUTE = ".pdf,.docx,.png,.jpg,.jpeg"


def max_megabytes() -> int:
    return int(settings.ATTACHMENT_MAX_MB)


def max_bytes() -> int:
    return max_megabytes() * 1024 * 1024


def _sniff(file: IO[bytes]) -> FileType | None:
    """The type the file's content says it is, or None."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(file) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            file.seek(0)
        if {"[Content_Types].xml", "word/document.xml"} <= names:
            return DOCX
    return None


def validate_upload(file: UploadedFile) -> FileType:
    """The file's type, or ``Invalid`` (on the ``file`` field) saying what is wrong."""
    limit = max_megabytes()
    size = file.size or 0
    if size == 0:
        raise Invalid({"file": "The file is empty."})
    if size > max_bytes():
        raise Invalid(
            {
                "file": f"The file is {size / 1024 / 1024:.1f} MB; attachments may be {limit} MB "
                "at most."
            }
        )
    kind = _sniff(file)
    if kind is None:
        raise Invalid(
            {
                "file": f"Only a {ACCEPTED} file can be attached, and this file's content is none "
                "of these (whatever its name says)."
            }
        )
    if PurePath(file.name or "").suffix.lower() not in kind.extensions:
        raise Invalid(
            {
                "file": f"This file is a {kind.label} but its name does not end in "
                f"{' or '.join(kind.extensions)}: rename it and upload it again."
            }
        )
    return kind


def _snapshot(attachment: Attachment) -> dict[str, Any]:
    return {
        "name": attachment.name,
        "label": attachment.get_kind_display(),
        "size": attachment.size,
        "content_type": attachment.content_type,
    }


def attachment_add(*, candidate: Candidate, file: UploadedFile, kind: str, by: User) -> Attachment:
    """Store ``file`` as one of ``candidate``'s documents, audited. Only their recruiters (and
    superusers) may; an anonymised candidate takes no new documents."""
    access.check(by, "attach", candidate)
    if candidate.anonymised_at is not None:
        raise Invalid("This candidate was anonymised; no documents can be added.")
    if kind not in Attachment.Kind.values:
        raise Invalid({"kind": "Choose CV, work sample or other."})
    file_type = validate_upload(file)
    name = PurePath(file.name or "file").name[:255]
    attachment = Attachment(
        candidate=candidate,
        kind=kind,
        name=name,
        content_type=file_type.content_type,
        size=file.size or 0,
        uploaded_by=by,
    )
    attachment.file.save(name, file, save=False)  # written to the storage first
    try:
        with transaction.atomic():
            attachment.save()
            audit(
                action="attachment.added",
                obj=attachment,
                by=by,
                candidate_id=candidate.pk,
                after=_snapshot(attachment),
            )
    except BaseException:
        attachment.file.delete(save=False)  # no row: no file either
        raise
    return attachment


def attachment_remove(*, attachment: Attachment, by: User) -> None:
    """Delete one document, row and file, audited."""
    access.check(by, "remove", attachment)
    with transaction.atomic():
        audit(
            action="attachment.removed",
            obj=attachment,
            by=by,
            candidate_id=attachment.candidate_id,
            before=_snapshot(attachment),
        )
        stored = attachment.file.name
        storage = attachment.file.storage
        attachment.delete()
        transaction.on_commit(lambda: delete_stored(storage, [stored]))


logger = logging.getLogger(__name__)

# An upload writes its file before its row (``attachment_add``): a file younger than this is
# not an orphan yet, only an upload in progress.
ORPHAN_GRACE = timedelta(hours=1)
FOLDER = "attachments"


def _stored_files(storage: Any) -> Iterator[str]:
    """Every file under ``attachments/<uuid>/`` in ``storage``."""
    if not storage.exists(FOLDER):
        return
    folders, files = storage.listdir(FOLDER)
    yield from (f"{FOLDER}/{name}" for name in files)
    for folder in folders:
        _, inner = storage.listdir(f"{FOLDER}/{folder}")
        yield from (f"{FOLDER}/{folder}/{name}" for name in inner)


def orphans_delete(*, now: datetime | None = None) -> int:
    """Delete the stored files no document row names any more, older than ``ORPHAN_GRACE``:
    a storage that failed when its row was removed or its candidate erased (``delete_stored``
    logs it and goes on), or a process that died between writing a file and its row. A
    candidate's documents must not outlive their rows. Returns how many went; run daily by
    beat, and safe to run twice (the second finds none)."""
    storage = Attachment._meta.get_field("file").storage
    now = now or timezone.now()
    known = set(Attachment.objects.values_list("file", flat=True))
    deleted = 0
    for name in _stored_files(storage):
        if name in known or storage.get_modified_time(name) > now - ORPHAN_GRACE:
            continue
        # still not named by a row, checked again right before it goes
        if Attachment.objects.filter(file=name).exists():
            continue
        try:
            storage.delete(name)
        except Exception:
            logger.exception("Could not delete the orphaned attachment %s", name)
            continue
        deleted += 1
        folder = PurePath(name).parent
        if hasattr(storage, "path"):  # a folder of the filesystem storage: remove it if empty
            with contextlib.suppress(OSError):
                os.rmdir(storage.path(str(folder)))
    if deleted:
        logger.warning("Deleted %d orphaned attachment file(s)", deleted)
    return deleted


def download_url(attachment: Attachment, interview: Interview | None = None) -> str:
    url = reverse("attachment_download", args=[attachment.pk])
    return f"{url}?interview={interview.pk}" if interview is not None else url


def for_kit(interview: Interview, *, through_link: bool) -> list[tuple[Attachment, str]]:
    """The documents the interview kit lists, with their links: its candidate's (the kit is
    the panel's own page, so whoever reads it may download them). A magic-link visitor's
    links name the interview their grant is for."""
    return [
        (attachment, download_url(attachment, interview if through_link else None))
        for attachment in Attachment.objects.filter(candidate_id=interview.loop.candidate_id)
    ]


def _downloadable(request: HttpRequest) -> tuple[User, Any] | None:
    """Who asks and which attachments they may download: a signed-in user's per the
    policy; a magic-link session's only its interview's candidate's, and only while the
    grant lasts. None: nobody signed in."""
    from scorecards import magic_links  # the kit's links; scorecards imports hiring

    if request.user.is_authenticated:
        assert isinstance(request.user, User)
        return request.user, access.visible(request.user, Attachment)
    interview_id = request.GET.get("interview", "")
    if not interview_id.isdigit():
        return None
    user = magic_links.granted_user(request.session, interview_id=int(interview_id))
    if user is None:
        return None
    seats = Interview.objects.filter(pk=int(interview_id), interviewers=user)
    return user, Attachment.objects.filter(
        candidate_id__in=seats.values("loop__candidate_id")
    ).filter(pk__in=access.visible(user, Attachment).values("pk"))


@require_http_methods(["GET", "HEAD"])
@never_cache
def download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Stream one document to whoever may read it, audited; 404 for anyone else (never a
    hint it exists)."""
    asking = _downloadable(request)
    if asking is None:
        return redirect_to_login(request.get_full_path())
    user, allowed = asking
    attachment = allowed.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    with transaction.atomic():
        audit(
            action="attachment.downloaded",
            obj=attachment,
            by=user,
            candidate_id=attachment.candidate_id,
            after={"name": attachment.name},
        )
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
