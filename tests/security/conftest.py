"""One world and one visit of the whole site per persona, shared by the package's tests.

The world is built once, inside a transaction that is rolled back when the package is done,
so tests elsewhere never see it. Every request of the visit runs in a savepoint of its own
that is rolled back too: a POST that a persona may make (say, erase) leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from hiring.roles import ensure_recruiters_group
from hiring.rubric import load_rubric

from .crawl import Record, Visitor
from .matrix import REFUSED, Probe, Violation, allows, judge, probes, to_login
from .matrix import Visitor as RuleVisitor
from .world import PERSONAS, World, build_world, client_for

STAFF_PERSONAS = {"superuser", "recruiter_a", "recruiter_b", "recruiter_a_owes"}

# POSTs that would end the persona's own session: not sent.
NOT_SENT = ("/logout/", "/admin/logout/", "/account/sign-out-everywhere/")


@dataclass
class Visit:
    world: World
    probes: list[Probe]
    visitors: dict[str, Visitor]

    def rule_visitor(self, persona: str) -> RuleVisitor:
        granted = self.world.obj("i_owen").pk if persona == "magic_link" else None
        return RuleVisitor(
            persona, self.world.user(persona) if persona != "magic_link" else None, granted
        )

    def allowed(self, persona: str, probe: Probe) -> bool:
        obj: Any = None
        if probe.obj is not None:
            obj = (
                probe.obj
                if probe.obj in ("hiring", "scorecards", "auth", "signin", "axes")
                else self.world.obj(probe.obj)
            )
        return allows(probe.rule, self.rule_visitor(persona), obj)

    def sent(self, persona: str, probe: Probe) -> bool:
        """Whether the visit made this request: the admin turns away whoever is not staff
        before it looks at any object, so those personas get one object per admin route."""
        if probe.url.startswith("/admin/") and persona not in STAFF_PERSONAS:
            first = next(p for p in self.probes if (p.key, p.method) == (probe.key, probe.method))
            return probe.obj == first.obj
        return True

    def violations(self, persona: str, key: str | None = None) -> list[Violation]:
        """What ``persona`` got that the table does not allow (or was refused though it
        allows it), for one route of the table or for all."""
        visitor = self.visitors[persona]
        out = []
        for probe in self.probes:
            if (key is not None and probe.key != key) or not self.sent(persona, probe):
                continue
            allowed = self.allowed(persona, probe)
            record = visitor.probe(probe, watch=False)
            if probe.method == "POST" and not allowed:
                problem = _post_problem(probe, record)
                if problem:
                    out.append(Violation(persona, probe.key, "POST", probe.url, problem))
                continue
            if probe.method == "POST":
                continue  # allowed writes ran in a rolled-back savepoint; their effect is
                # the feature tests' business
            violation = judge(probe, persona, allowed, record.answer)
            if violation is not None:
                out.append(violation)
        return out


def _post_problem(probe: Probe, record: Record) -> str | None:
    """Why a refused persona's POST was not refused, or None when it was."""
    answer = record.answer
    if record.changed:
        return f"changed the database (answered {answer.status})"
    if answer.attachment:
        return "answered with a download"
    if answer.status in REFUSED or to_login(answer):
        return None
    if probe.key.startswith("action ") or answer.status == 400:
        # An action on nothing the persona may act on re-shows or redirects to the (scoped)
        # list; a 400 to an empty body. Neither changed anything (checked above); what the
        # pages show is the sentinel crawl's business.
        return None
    return f"answered {answer.status} {answer.location} instead of refusing"


@pytest.fixture(scope="package")
def visit(django_db_setup: None, django_db_blocker: Any) -> Iterator[Visit]:
    # The world's documents live in memory: its files go with it, as its rows do.
    memory = {"BACKEND": "django.core.files.storage.InMemoryStorage"}
    storages = override_settings(STORAGES={**settings.STORAGES, "default": memory})
    with storages, django_db_blocker.unblock(), transaction.atomic():
        # What every migrated database holds, whatever a transactional test before this
        # package flushed: the rubric and the Recruiters group (both idempotent).
        load_rubric()
        ensure_recruiters_group()
        world = build_world()
        all_probes = [p for p in probes(world) if not (p.method == "POST" and p.url in NOT_SENT)]
        result = Visit(world, all_probes, {})
        for persona in PERSONAS:
            visitor = Visitor(world, persona, client_for(world, persona))
            for probe in all_probes:
                if result.sent(persona, probe):
                    watch = probe.method == "POST" and not result.allowed(persona, probe)
                    visitor.probe(probe, watch=watch)
            visitor.follow_links()
            result.visitors[persona] = visitor
        yield result
        transaction.set_rollback(True)


def persona_cases(
    personas: list[str], keys: list[str], known_leaks: dict[tuple[str, str], str]
) -> list[object]:
    """One parameter per (persona, key); a known leak is a strict xfail, so the case fails
    once the leak is fixed and its entry must go."""
    cases: list[object] = []
    for persona in personas:
        for key in keys:
            reason = known_leaks.get((persona, key))
            marks = [pytest.mark.xfail(strict=True, reason=f"leak: {reason}")] if reason else []
            cases.append(pytest.param(persona, key, marks=marks, id=f"{persona}-{key}"))
    return cases
