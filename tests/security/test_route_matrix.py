"""The route matrix (issue 12): every URL pattern, admin view, admin action and API operation
is in the table of ``matrix.py``, and every persona gets exactly what the table allows, for an
object of their own and one of another requisition."""

from __future__ import annotations

import pytest

from .conftest import Visit
from .matrix import (
    ADMIN_MODELS,
    ADMIN_SITE,
    ADMIN_VIEWS,
    API,
    SITE,
    admin_actions,
    unknown_routes,
)
from .world import PERSONAS

KEYS = [
    *SITE,
    *ADMIN_SITE,
    *(f"{label}:{view}" for label in ADMIN_MODELS for view in ADMIN_VIEWS),
    *(f"action {key}" for key in admin_actions()),
    *API,
]

# Leaks known today, each a (persona, table key) that the lead's access policy (hiring/access.py)
# is fixing. A strict xfail: once fixed, the case passes, the xfail fails, and the entry goes.
_RECRUITERS = ("recruiter_a", "recruiter_b", "recruiter_a_owes")
KNOWN_LEAKS: dict[tuple[str, str], str] = {
    **{
        (persona, key): "a recruiter reads and edits any role profile (hiring/admin.py "
        "RoleProfileAdmin: no queryset scope, Recruiters group has change_roleprofile)"
        for persona in _RECRUITERS
        for key in ("hiring.roleprofile:change", "hiring.roleprofile:history")
    },
    ("superuser", "hiring.decision:add"): "decisions typed in the admin skip the service",
    ("superuser", "hiring.decision:change"): "decisions edited in the admin skip the service",
    ("superuser", "hiring.decision:delete"): "decision history deletable in the admin",
    ("superuser", "scorecards.scorecard:change"): "an interviewer's draft opens in the admin",
    ("superuser", "scorecards.scorecard:history"): "an interviewer's draft opens in the admin",
    ("superuser", "scorecards.scorecard:delete"): "submitted scorecards deletable in the admin",
}


def _cases() -> list[object]:
    cases: list[object] = []
    for persona in PERSONAS:
        for key in KEYS:
            reason = KNOWN_LEAKS.get((persona, key))
            marks = [pytest.mark.xfail(strict=True, reason=f"leak: {reason}")] if reason else []
            cases.append(pytest.param(persona, key, marks=marks, id=f"{persona}-{key}"))
    return cases


def test_every_route_is_in_the_table() -> None:
    assert unknown_routes() == []


@pytest.mark.parametrize(("persona", "key"), _cases())
def test_persona_gets_what_the_table_allows(visit: Visit, persona: str, key: str) -> None:
    problems = visit.violations(persona, key)
    assert not problems, "\n".join(str(problem) for problem in problems)


def test_every_table_key_was_probed(visit: Visit) -> None:
    """A key with no request behind it would pass vacuously."""
    probed = {probe.key for probe in visit.probes}
    assert (
        set(KEYS) - probed - {"logout/", "admin/logout/"}
        <= {"admin/<app>/<model>/<path:object_id>/"} | set()
    )
