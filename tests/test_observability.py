"""Observability: Sentry events without personal data, the /metrics scrape and its
protection, and JSON logs that follow a request into the tasks it queues (issue 19)."""

from __future__ import annotations

import gzip
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import brotli
import pytest
import sentry_sdk
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from config import urls as site_urls
from config.observability import init_sentry
from hiring.models import Candidate
from tests.factories import CandidateFactory
from tests.http_server import http_server

logger = logging.getLogger("hiring.candidates")


def candidate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A view failing with a candidate's details in its locals, its request body, its log
    lines and its exception message: everything Sentry must not receive."""
    candidate = Candidate.objects.get(pk=pk)
    evidence = request.POST["evidence"]
    logger.info("looking up %s <%s>", candidate.full_name, candidate.email)
    logger.info(f"inline address {candidate.email} in a message")
    raise ValueError(f"cannot schedule {candidate.full_name} ({candidate.email}): {evidence}")


# The site's routes too: its middleware reverses some of them.
urlpatterns = [path("candidates/<int:pk>/explode/", candidate_view), *site_urls.urlpatterns]


@pytest.fixture
def sentry_receiver() -> Iterator[tuple[list[bytes], threading.Event]]:
    """A loopback Sentry: the envelopes it received, and an event set when one arrived."""
    envelopes: list[bytes] = []
    arrived = threading.Event()

    def handle(request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers["Content-Length"]))
        encoding = request.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        envelopes.append(body)
        request.send_response(200)
        request.end_headers()
        arrived.set()

    with http_server(handle) as url:
        port = url.split(":")[2].split("/")[0]
        init_sentry(f"http://publickey@127.0.0.1:{port}/1")
        try:
            yield envelopes, arrived
        finally:
            sentry_sdk.get_client().close(timeout=2)
            sentry_sdk.init(dsn=None)


@pytest.mark.urls("tests.test_observability")
def test_sentry_receives_the_error_without_the_candidates_data(
    db: None, sentry_receiver: tuple[list[bytes], threading.Event]
) -> None:
    envelopes, arrived = sentry_receiver
    candidate = CandidateFactory(full_name="Zelda Quimby-Fairweather", email="zelda@quimby.example")
    client = Client(raise_request_exception=False)

    response = client.post(
        f"/candidates/{candidate.pk}/explode/?q=zelda@quimby.example",
        {"evidence": "Led the Tromsø migration single-handedly"},
    )

    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    assert arrived.wait(timeout=10), "the loopback Sentry received nothing"
    sent = b"\n".join(envelopes).decode()
    # The event arrived, with what finds the bug.
    assert '"type":"event"' in sent.replace(" ", "")
    assert "ValueError" in sent
    assert "candidate_view" in sent
    # And none of the candidate's data, in any spelling.
    for secret in ("Zelda", "Quimby", "zelda@", "quimby.example", "Tromsø", "Troms\\u00f8"):
        assert secret not in sent, f"{secret!r} reached Sentry"
