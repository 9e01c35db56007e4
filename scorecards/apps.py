from django.apps import AppConfig


class ScorecardsConfig(AppConfig):
    name = "scorecards"
    verbose_name = "Scorecards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from hiring import privacy

        # The outbox handlers (a submitted scorecard moves its loop along and refreshes its
        # summary) and the reminder e-mails' renderers register themselves on import.
        # Notices render at send time, after the dispatch transaction that also stored the
        # summary, so they can quote its recommendation.
        from scorecards import (
            handlers,  # noqa: F401
            webhooks,  # noqa: F401  (the scorecard.submitted body)
        )
        from scorecards.calibration import summaries  # noqa: F401
        from scorecards.privacy import HOLDER
        from scorecards.reminders import emails  # noqa: F401

        # What scorecards hold about candidates, for their export, erasure and retention.
        privacy.register_holder(HOLDER)
