"""What the scorecards app's webhook events say, registered with ``hiring.delivery.webhooks``
when the app is ready. Ids and facts only: no ratings, no evidence, no names; an integration
reads those through the API, under its permissions."""

from __future__ import annotations

from typing import Any

from hiring.delivery.webhooks import describes
from scorecards.models import ScorecardRevision


@describes("scorecard.submitted")
def scorecard_submitted(payload: dict[str, Any]) -> dict[str, Any]:
    revision = ScorecardRevision.objects.select_related("scorecard__interview__loop").get(
        pk=payload["revision_id"]
    )
    scorecard = revision.scorecard
    loop = scorecard.interview.loop
    return {
        "scorecard_id": scorecard.pk,
        "revision_id": revision.pk,
        "revision": revision.number,
        "amendment": revision.number > 1,
        "submitted_at": revision.submitted_at.isoformat() if revision.submitted_at else None,
        "interview_id": scorecard.interview_id,
        "interviewer_id": scorecard.interviewer_id,
        "loop_id": loop.pk,
        "requisition_id": loop.requisition_id,
        "candidate_id": loop.candidate_id,
    }
