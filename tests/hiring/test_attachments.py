"""A candidate's documents (issue 15): recruiters upload a CV or work samples on the
candidate's page, files judged by their content and size; the interview kit lists them for
the panel only; every download is checked, streamed and audited; the personal-data export
lists them and erasure deletes the files from the storage."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hiring import attachments, privacy, tasks
from hiring.errors import Refused
from hiring.models import Attachment, AuditEvent, Candidate, User
from hiring.roles import RECRUITERS_GROUP
from scorecards.magic_links import magic_link_url
from tests.factories import InterviewFactory, LoopFactory, RequisitionFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/hiring/candidate/"
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def storage(settings, tmp_path: Path) -> Path:
    """Every file of these tests lands in a folder of their own."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def upload(client, candidate: Candidate, name: str, content: bytes, kind: str = "cv"):
    """The candidate page's upload form, as a browser posts it; the page it comes back to."""
    return client.post(
        f"{ADMIN}{candidate.pk}/attachments/",
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
        follow=True,
    )


@pytest.fixture
def cv(world, recruiter) -> Attachment:
    return attachments.attachment_add(
        candidate=world.loop.candidate,
        file=SimpleUploadedFile("Ada_CV.pdf", PDF),
        kind="cv",
        by=recruiter,
    )


@pytest.fixture
def other_recruiter() -> User:
    """A recruiter of another requisition, with a candidate of their own."""
    user = UserFactory(username="otto", is_staff=True)
    user.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    LoopFactory(requisition=RequisitionFactory(recruiters=[user]))
    return user


# --- Uploading --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("Ada CV.pdf", PDF, "application/pdf"),
        (
            "portfolio.docx",
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("whiteboard.png", PNG, "image/png"),
        ("sketch.jpeg", JPEG, "image/jpeg"),
    ],
)
def test_a_recruiter_uploads_a_document_on_the_candidate_page(
    client, world, recruiter, storage, name, content, content_type
):
    client.force_login(recruiter)
    candidate = world.loop.candidate

    response = upload(client, candidate, name, content, kind="work_sample")

    assert response.status_code == 200
    assert f"Uploaded {name}." in response.content.decode()
    [attachment] = Attachment.objects.filter(candidate=candidate)
    assert (attachment.name, attachment.kind, attachment.content_type, attachment.size) == (
        name,
        "work_sample",
        content_type,
        len(content),
    )
    # stored under an unguessable folder, with the bytes as sent
    assert attachment.file.name.startswith("attachments/")
    assert len(attachment.file.name.split("/")[1]) == 32
    [path] = stored_files(storage)
    assert path.read_bytes() == content
    [event] = AuditEvent.objects.filter(action="attachment.added")
    assert (event.actor, event.candidate_id) == (recruiter, candidate.pk)
    page = client.get(f"{ADMIN}{candidate.pk}/change/").content.decode()
    assert f"/attachments/{attachment.pk}/" in page


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cv.pdf", EXE, "this file&#x27;s content is none of these"),
        ("cv.docx", b"PK\x03\x04not really a zip", "this file&#x27;s content is none of these"),
        ("cv.exe", PDF, "its name does not end in .pdf"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_is_stored(
    client, world, recruiter, storage, name, content, message
):
    client.force_login(recruiter)

    response = upload(client, world.loop.candidate, name, content)

    page = response.content.decode()
    assert "Not uploaded: " in page
    assert message in page
    assert not Attachment.objects.exists()
    assert stored_files(storage) == []
    assert not AuditEvent.objects.filter(action="attachment.added").exists()


def test_a_file_over_the_size_limit_is_refused_with_the_limit(
    client, world, recruiter, storage, settings
):
    settings.ATTACHMENT_MAX_MB = 1
    client.force_login(recruiter)

    response = upload(client, world.loop.candidate, "big.pdf", PDF + b"0" * (1024 * 1024))

    assert "attachments may be 1 MB at most" in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored_files(storage) == []


def test_a_recruiter_removes_a_document_and_its_file(
    client, world, recruiter, cv, storage, django_capture_on_commit_callbacks
):
    client.force_login(recruiter)
    page = client.get(f"{ADMIN}{world.loop.candidate.pk}/change/").content.decode()
    assert f'name="remove" value="{cv.pk}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{ADMIN}{world.loop.candidate.pk}/attachments/", {"remove": cv.pk}, follow=True
        )

    assert "Removed Ada_CV.pdf." in response.content.decode()
    assert not Attachment.objects.exists()
    assert not default_storage.exists(cv.file.name)
    assert AuditEvent.objects.filter(action="attachment.removed", actor=recruiter).exists()


def test_only_the_candidates_recruiters_may_add_or_remove_documents(
    client, world, other_recruiter, hiring_manager, cv, storage
):
    url = f"{ADMIN}{world.loop.candidate.pk}/attachments/"
    for user in (other_recruiter, hiring_manager):
        client.force_login(user)
        new = {"kind": "cv", "file": SimpleUploadedFile("cv.pdf", PDF)}
        for response in (client.post(url, new), client.post(url, {"remove": cv.pk})):
            # another requisition's recruiter: not found; a manager: not an admin user at all
            assert response.status_code == 404 or response["Location"].startswith("/admin/login/")
    assert list(Attachment.objects.all()) == [cv]
    assert len(stored_files(storage)) == 1


def test_the_service_refuses_another_requisitions_recruiter(world, other_recruiter):
    with pytest.raises(Refused) as refused:
        attachments.attachment_add(
            candidate=world.loop.candidate,
            file=SimpleUploadedFile("cv.pdf", PDF),
            kind="cv",
            by=other_recruiter,
        )
    assert "Only a recruiter of this candidate's requisitions" in str(refused.value)
    assert not Attachment.objects.exists()


# --- Downloading ------------------------------------------------------------------------


def kit_document_link(client, interview_pk: int) -> str:
    page = client.get(f"/interviews/{interview_pk}/kit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Candidate&#x27;s documents" in html or "Candidate's documents" in html
    start = html.index('href="/attachments/') + len('href="')
    return html[start : html.index('"', start)].replace("&amp;", "&")


def test_the_panel_downloads_the_document_from_the_kit_and_it_is_audited(
    client, world, interviewer, cv
):
    client.force_login(interviewer)

    response = client.get(kit_document_link(client, world.interview.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Ada_CV.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    [event] = AuditEvent.objects.filter(action="attachment.downloaded")
    assert (event.actor, event.candidate_id) == (interviewer, world.loop.candidate_id)


def test_recruiters_and_the_hiring_manager_of_the_requisition_download(
    client, world, recruiter, hiring_manager, cv
):
    for user in (recruiter, hiring_manager):
        client.force_login(user)
        assert client.get(f"/attachments/{cv.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="attachment.downloaded").count() == 2


def test_nobody_else_downloads_and_nothing_is_audited(client, world, outsider, other_recruiter, cv):
    stranger = UserFactory(username="sven")
    # an interviewer on another requisition's loop is not this candidate's panel
    InterviewFactory(loop=LoopFactory(), interviewers=[stranger])
    for user in (outsider, other_recruiter, stranger):
        client.force_login(user)
        assert client.get(f"/attachments/{cv.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/attachments/{cv.pk}/").status_code == 302  # to the sign-in page
    assert not AuditEvent.objects.filter(action="attachment.downloaded").exists()


def test_the_kit_of_another_candidate_lists_none_of_these_documents(client, world, cv):
    other_panelist = UserFactory(username="penny")
    elsewhere = InterviewFactory(loop=LoopFactory(), interviewers=[other_panelist])
    client.force_login(other_panelist)

    page = client.get(f"/interviews/{elsewhere.pk}/kit/").content.decode()

    assert "/attachments/" not in page
    assert "Ada_CV.pdf" not in page


def test_a_magic_link_session_downloads_only_its_interviews_candidates_documents(
    client, world, interviewer, cv, recruiter
):
    other_candidates = attachments.attachment_add(
        candidate=LoopFactory(requisition=world.requisition).candidate,
        file=SimpleUploadedFile("other.pdf", PDF),
        kind="cv",
        by=recruiter,
    )
    link = urlsplit(magic_link_url(interview=world.interview, interviewer=interviewer))
    client.get(f"{link.path}?{link.query}", follow=True)

    url = kit_document_link(client, world.interview.pk)
    assert url == f"/attachments/{cv.pk}/?interview={world.interview.pk}"
    assert client.get(url).status_code == 200
    # the grant is for this interview's candidate only
    other_url = f"/attachments/{other_candidates.pk}/?interview={world.interview.pk}"
    assert client.get(other_url).status_code == 404
    assert client.get(f"/attachments/{cv.pk}/").status_code == 302  # no grant named


# --- Export and erase -------------------------------------------------------------------


def test_the_personal_data_export_lists_the_documents(client, world, recruiter, cv):
    client.force_login(recruiter)

    response = client.post(f"{ADMIN}{world.loop.candidate.pk}/personal-data/")

    data = json.loads(response.content)
    [listed] = data["attachments"]
    assert listed["name"] == "Ada_CV.pdf"
    assert listed["label"] == "CV"
    assert listed["size"] == len(PDF)
    assert listed["uploaded_at"]
    assert listed["download"] == f"/attachments/{cv.pk}/"
    assert "not inside this JSON export" in data["attachments_note"]


def test_erasing_the_candidate_deletes_their_documents_from_the_storage(
    client, world, recruiter, cv, django_capture_on_commit_callbacks
):
    client.force_login(recruiter)
    assert default_storage.exists(cv.file.name)
    client.get(f"/attachments/{cv.pk}/")  # a download on the trail, naming the file

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{ADMIN}{world.loop.candidate.pk}/erase/",
            {"confirm": "yes", "reason": "Candidate asked by e-mail."},
        )

    assert not Attachment.objects.exists()
    assert not default_storage.exists(cv.file.name)
    trail = AuditEvent.objects.filter(object_type="hiring.attachment")
    assert trail.count() == 2  # added, downloaded: kept, without the file's name
    assert "Ada_CV" not in json.dumps([[e.before, e.after] for e in trail])


def test_retention_deletes_the_documents_of_an_expired_candidate(
    world, cv, settings, django_capture_on_commit_callbacks
):
    candidate = world.loop.candidate
    with django_capture_on_commit_callbacks(execute=True):
        privacy.candidate_anonymise(candidate=candidate, reason="retention expired")

    assert not Attachment.objects.exists()
    assert not default_storage.exists(cv.file.name)


# --- Files left behind ----------------------------------------------------------------------


def test_a_file_the_storage_failed_to_delete_is_deleted_by_the_daily_sweep(
    world, recruiter, cv, storage, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    # given a storage that fails when the recruiter removes the document
    def failing(self: FileSystemStorage, name: str) -> None:
        raise OSError("the bucket answered 503")

    with monkeypatch.context() as patched:
        patched.setattr(FileSystemStorage, "delete", failing)
        with django_capture_on_commit_callbacks(execute=True):
            attachments.attachment_remove(attachment=cv, by=recruiter)
    # then the row is gone, the removal did not fail, but the file is still stored (logged)
    assert not Attachment.objects.exists()
    [left] = stored_files(storage)
    assert "Could not delete the stored attachment" in caplog.text

    # a document being uploaded right now (file written, row not yet) is not touched
    fresh = storage / "attachments" / ("f" * 32) / "upload.pdf"
    fresh.parent.mkdir(parents=True)
    fresh.write_bytes(PDF)
    kept = attachments.attachment_add(
        candidate=world.loop.candidate,
        file=SimpleUploadedFile("Kept.pdf", PDF),
        kind="cv",
        by=recruiter,
    )
    now = timezone.now()
    old = (now - timedelta(hours=2)).timestamp()
    os.utime(left, (old, old))
    os.utime(storage / kept.file.name, (old, old))

    # when the daily sweep runs (twice)
    assert tasks.delete_orphaned_attachments() == 1
    assert tasks.delete_orphaned_attachments() == 0
    # then only the orphan went, with its folder; the fresh upload and the live document stay
    assert not left.exists()
    assert not left.parent.exists()
    assert fresh.exists()
    assert default_storage.exists(kept.file.name)
    # and once the fresh one is old enough, it goes too
    assert attachments.orphans_delete(now=now + timedelta(hours=2)) == 1
    assert stored_files(storage) == [storage / kept.file.name]
