"""After the seed: the loops' summaries, computed by the product's own code, and the sessions
and API tokens the load signs in with (no login form: django-axes would lock it out)."""

from __future__ import annotations

import secrets
import string
import time
from datetime import timedelta
from typing import Any

from bench.load.seed import Tenant

CSRF_CHARS = string.ascii_letters + string.digits
BATCH = 200  # loops per transaction, as the nightly refresh's batches


def _summarise(loop_ids: list[int]) -> None:
    """These loops' summaries, computed in one transaction the way a batch of the nightly
    refresh computes its open loops' (the loops locked, their inputs read together);
    one ``loop_summary_compute`` each if that batch step is not there."""
    from django.db import transaction

    from hiring.models import Loop
    from scorecards.calibration import summaries

    locked = getattr(summaries, "_locked_loops", None)
    refresh = getattr(summaries, "_refresh_loops", None)
    if locked is None or refresh is None:
        for loop_id in loop_ids:
            summaries.loop_summary_compute(loop_id=loop_id)
        return
    with transaction.atomic():
        refresh(list(locked(Loop.objects.filter(pk__in=loop_ids))))


def compute_summaries() -> dict[str, float]:
    """As the nightly task does: refit the calibration, refresh the open loops' summaries
    (inline, as the refresh runs when called directly), then compute the summaries still
    missing (decided loops: the nightly refresh leaves them alone). Returns seconds per
    step."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from hiring.models import Loop, OutboxEvent
    from scorecards.calibration import summaries
    from scorecards.models import LoopSummary

    took: dict[str, float] = {}
    started = time.perf_counter()
    summaries.calibration_refit()
    took["calibration refit"] = time.perf_counter() - started

    started = time.perf_counter()
    summaries.refresh_open_summaries()
    took["open loops' summaries (refresh_open_summaries)"] = time.perf_counter() - started

    started = time.perf_counter()
    missing = list(
        Loop.objects.filter(~Exists(LoopSummary.objects.filter(loop=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for first in range(0, len(missing), BATCH):
        _summarise(missing[first : first + BATCH])
    took[f"the other {len(missing):,} loops' summaries, in batches of {BATCH}"] = (
        time.perf_counter() - started
    )

    # Each new summary emitted a loop.recommendation_changed event. No webhook subscription
    # exists, so delivering them would only stamp them processed: stamp them at once.
    processed = OutboxEvent.objects.filter(processed_at__isnull=True).update(
        processed_at=timezone.now()
    )
    took[f"({processed:,} outbox events stamped processed)"] = 0.0
    return took


def load_data(tenant: Tenant) -> dict[str, Any]:
    """Sessions (one per person the load plays) and API tokens, in the JSON the locustfile
    reads."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from hiring.models import User
    from signin.tokens import token_create

    people = {tenant.manager, tenant.recruiter, *(i for i, _ in tenant.owed)}
    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    keys: dict[int, str] = {}
    sessions = []
    for user in User.objects.filter(pk__in=people):
        keys[user.pk] = secrets.token_hex(16)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(
            Session(session_key=keys[user.pk], session_data=store.encode(data), expire_date=expires)
        )
    Session.objects.bulk_create(sessions, batch_size=1000)
    # Read-only: the load's integrations only list (hashed, expiring tokens: signin.tokens).
    tokens = [
        token_create(owner=user, name="load benchmark", days=1).secret
        for user in User.objects.filter(pk__in=tenant.api_users).order_by("pk")
    ]
    return {
        # The CSRF secret every session posts with: cookie and header alike.
        "csrf": "".join(secrets.choice(CSRF_CHARS) for _ in range(32)),
        "dimensions": tenant.dimensions,
        "seats": [[keys[interviewer], interview] for interviewer, interview in tenant.owed],
        "manager": {
            "session": keys[tenant.manager],
            "loops": tenant.manager_loops,
            "requisitions": tenant.manager_requisitions,
            "big_requisition": tenant.big_requisition,
        },
        "recruiter": {"session": keys[tenant.recruiter], "loops": tenant.recruiter_loops},
        "tokens": tokens,
    }
