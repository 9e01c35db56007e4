"""A dependency that is down, as one process sees it: fail fast, log once per interval.

Redis carries the API's rate-limit counts (the cache) and Celery's messages (the broker);
neither is the source of truth (the database is). When it stops, each caller degrades in its
own way (the cache fails open, a nudge is left to the sweeps) and asks ``Outage`` whether to
try at all: after a failure the dependency is skipped for ``retry_seconds`` (no connection
attempt per request), and the failure is logged once per ``log_seconds`` rather than per
request. The first success after an outage logs that it is back."""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger("loopwise.outage")


class Outage:
    def __init__(self, name: str, *, retry_seconds: float = 2.0, log_seconds: float = 60.0):
        self.name = name
        self.retry_seconds = retry_seconds
        self.log_seconds = log_seconds
        self._lock = threading.Lock()
        self._skip_until = 0.0
        self._next_log = 0.0
        self._down_since: float | None = None
        self.skipped = 0  # calls not even tried since the last log line

    def available(self) -> bool:
        """Whether to try the dependency now (False: skip it and degrade)."""
        if time.monotonic() >= self._skip_until:
            return True
        with self._lock:
            self.skipped += 1
        return False

    def failed(self, exc: BaseException, consequence: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._skip_until = now + self.retry_seconds
            if self._down_since is None:
                self._down_since = now
            if now < self._next_log:
                return
            self._next_log = now + self.log_seconds
            skipped, self.skipped = self.skipped, 0
        logger.warning(
            "%s unreachable (%s: %s); %s. Logged at most every %ss%s.",
            self.name,
            type(exc).__name__,
            exc,
            consequence,
            int(self.log_seconds),
            f" ({skipped} calls skipped since the last line)" if skipped else "",
        )

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            down_since, self._down_since = self._down_since, None
            self._skip_until = self._next_log = 0.0
            self.skipped = 0
        if down_since is not None:
            logger.warning("%s is back after %.0fs", self.name, time.monotonic() - down_since)


# One per dependency and process.
CACHE = Outage("Redis (cache)")
BROKER = Outage("Celery broker")
