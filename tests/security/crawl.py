"""Visiting the site as each persona: every probe of the route matrix (GETs and POSTs, each in
a savepoint that is rolled back, so the world stays as built), then the links of the HTML
pages reached, within bounds. Each answer is kept small: status, redirect, whether the
database changed, and which sentinels its body held."""

from __future__ import annotations

import html
import re
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.test import Client

from .matrix import Answer, Probe
from .world import World

# Tables whose content a refused request must not change (one query for all).
WATCHED_TABLES = (
    "hiring_candidate",
    "hiring_loop",
    "hiring_interview",
    "hiring_decision",
    "hiring_requisition",
    "hiring_requisition_recruiters",
    "hiring_roleprofile",
    "hiring_dimension",
    "hiring_user",
    "hiring_auditevent",
    "hiring_notification",
    "hiring_outboxevent",
    "hiring_webhooksubscription",
    "hiring_webhookdelivery",
    "scorecards_scorecard",
    "scorecards_scorecardrevision",
    "scorecards_dimensionrating",
    "django_admin_log",
    "signin_apitoken",
)
FINGERPRINT_SQL = " UNION ALL ".join(
    f"SELECT '{table}', md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t"
    for table in WATCHED_TABLES
)

SKIP_PREFIXES = (
    "/static/",
    "/media/",
    "/logout/",
    "/admin/logout/",
    "/api/v1/docs/",
    "/api/v1/redoc/",
)
MAX_EXTRA_PAGES = 80  # links followed beyond the probes, per persona
MAX_QUERY_VARIANTS = 2  # ?sort=, ?o= ... per path


def fingerprint() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(FINGERPRINT_SQL)
        return list(cursor.fetchall())


@dataclass
class Record:
    method: str
    url: str
    answer: Answer
    changed: bool
    sentinels: frozenset[str]
    links: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Visitor:
    """One persona's browser, with what it found."""

    def __init__(self, world: World, persona: str, client: Client) -> None:
        self.world = world
        self.persona = persona
        self.client = client
        texts = {s.text.lower(): label for label, s in world.sentinels.items()}
        self.labels = texts
        self.pattern = re.compile("|".join(re.escape(t) for t in texts), re.IGNORECASE)
        self.records: dict[tuple[str, str, str], Record] = {}

    def request(
        self, method: str, url: str, data: dict[str, object] | None = None, *, watch: bool = False
    ) -> Record:
        key = (method, url, repr(sorted((data or {}).items())))
        if key in self.records:
            return self.records[key]
        started = time.perf_counter()
        with transaction.atomic():
            before = fingerprint() if watch else None
            if method == "GET":
                response = self.client.get(url)
            else:
                response = self.client.post(url, data or {})
            after = fingerprint() if watch else None
            transaction.set_rollback(True)
        body = b"".join(response) if response.streaming else response.content
        text = body.decode("utf-8", "replace")
        found = frozenset(self.labels[m.lower()] for m in self.pattern.findall(text))
        content_type = response.get("Content-Type", "")
        links = _links(text) if response.status_code == 200 and "html" in content_type else []
        answer = Answer(
            status=response.status_code,
            location=response.get("Location", ""),
            attachment="attachment" in response.get("Content-Disposition", ""),
        )
        record = Record(method, url, answer, before != after, found, links)
        record.seconds = time.perf_counter() - started
        self.records[key] = record
        return record

    def probe(self, probe: Probe, *, watch: bool) -> Record:
        return self.request(probe.method, probe.url, probe.data, watch=watch)

    def follow_links(self, limit: int = MAX_EXTRA_PAGES) -> None:
        """Breadth-first through the links of the pages reached so far, within the site."""
        seen_paths: dict[str, int] = {}
        visited = {url for (method, url, _data) in self.records if method == "GET"}
        queue = deque(link for record in list(self.records.values()) for link in record.links)
        fetched = 0
        while queue and fetched < limit:
            link = queue.popleft()
            if link in visited:
                continue
            visited.add(link)
            parts = urlsplit(link)
            if parts.query:
                seen_paths[parts.path] = seen_paths.get(parts.path, 0) + 1
                if seen_paths[parts.path] > MAX_QUERY_VARIANTS:
                    continue
            record = self.request("GET", link)
            fetched += 1
            queue.extend(record.links)

    def leaks(self) -> dict[str, list[str]]:
        """Sentinel label -> where this persona received it although it may not."""
        out: dict[str, list[str]] = {}
        for record in self.records.values():
            for label in record.sentinels:
                if self.persona not in self.world.sentinels[label].may_see:
                    out.setdefault(label, []).append(f"{record.method} {record.url}")
        return out


HREF = re.compile(r'href="([^"#]+)')


def _links(text: str) -> list[str]:
    out = []
    for raw in HREF.findall(text):
        link = html.unescape(raw)
        if link.startswith("http://testserver"):
            link = link[len("http://testserver") :]
        if not link.startswith("/") or link.startswith("//"):
            continue
        if link.startswith(SKIP_PREFIXES):
            continue
        out.append(link)
    return out
