"""Candidates' personal data (DESIGN §7): the audit trail, export, erase on request and
retention.

Every writer of candidates, scorecards and decisions records an ``AuditEvent`` through
``audit()`` in its own transaction. Erasing and the retention sweep share one routine,
``candidate_anonymise``: the person's contact data goes, free text that names them is
masked (scorecard evidence, takeaways, amendment reasons, decision rationales, interview
titles, notification subjects) and the audit trail about them is scrubbed too, while
ratings, recommendations and decisions stay so calibration keeps its history.

Every audit event names the candidate it is about, so a trail, an export or an erasure
finds it without knowing what kind of object changed. Data that other apps keep about a
candidate (the scorecards) is exported and scrubbed by a ``Holder`` those apps register from
their ``AppConfig.ready``: ``hiring`` never imports them.

The package: ``audit`` (the trail, audited candidate writes, holders), ``export``,
``erase`` (erase on request, delete, retention), ``admin`` (candidates and the trail in the
admin) and ``resources`` (the candidate CSV). The names other modules use are re-exported
here."""

from hiring.privacy.audit import (
    BLANKED_FIELDS,
    CANDIDATE,
    PERSONAL_FIELDS,
    Holder,
    audit,
    candidate_save,
    candidate_snapshot,
    changes,
    register_holder,
)
from hiring.privacy.erase import (
    anonymise_expired,
    candidate_anonymise,
    candidate_delete,
    candidate_erase,
    expired_candidates,
    scrub_rows,
)
from hiring.privacy.export import audit_events_about, candidate_export, notifications_about

__all__ = [
    "BLANKED_FIELDS",
    "CANDIDATE",
    "PERSONAL_FIELDS",
    "Holder",
    "anonymise_expired",
    "audit",
    "audit_events_about",
    "candidate_anonymise",
    "candidate_delete",
    "candidate_erase",
    "candidate_export",
    "candidate_save",
    "candidate_snapshot",
    "changes",
    "expired_candidates",
    "notifications_about",
    "register_holder",
    "scrub_rows",
]
