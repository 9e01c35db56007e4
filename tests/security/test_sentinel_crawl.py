"""The sentinel crawl (issue 12): a unique string sits in every confidential field (evidence,
takeaways, amendment reasons, decision rationales, recruiter notes, a B-only candidate's name
and e-mail, a webhook secret). Each persona visits every page, admin view, API answer and
export it can reach, follows the links of the pages it gets, and must never receive a
sentinel that DESIGN §6 keeps from it (``world.py`` says who may see which)."""

from __future__ import annotations

import pytest

from .conftest import Visit, persona_cases
from .world import PERSONAS, SENTINEL_LABELS

pytestmark = pytest.mark.django_db

# (persona, sentinel) pairs that leak, as strict xfails while a fix is under way; empty when
# none is open. Issue 12's (exports and audit trail across requisitions and past the blind
# rule) were fixed by hiring/access.py.
KNOWN_LEAKS: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize(
    ("persona", "label"), persona_cases(PERSONAS, list(SENTINEL_LABELS), KNOWN_LEAKS)
)
def test_persona_never_receives_what_it_may_not_see(visit: Visit, persona: str, label: str) -> None:
    where = visit.visitors[persona].leaks().get(label, [])
    assert not where, f"{persona} received {label} from: " + ", ".join(sorted(where))


@pytest.mark.parametrize(
    "persona", ["superuser", "recruiter_a", "recruiter_b", "panel_submitted", "panel_owes"]
)
def test_each_persona_sees_what_it_may(visit: Visit, persona: str) -> None:
    """The crawl is not vacuous: whoever may see a sentinel finds it somewhere (the draft and
    webhook secret aside for the superuser: drafts are their author's, a secret shows once)."""
    world = visit.world
    seen = {
        label for record in visit.visitors[persona].records.values() for label in record.sentinels
    }
    expected = {label for label, s in world.sentinels.items() if persona in s.may_see}
    if persona == "superuser":
        expected -= {"DRAFT-A2"}
    assert expected <= seen, sorted(expected - seen)
