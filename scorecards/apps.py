from django.apps import AppConfig


class ScorecardsConfig(AppConfig):
    name = "scorecards"
    verbose_name = "Scorecards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug what this app knows into ``hiring``, which never imports it."""
        from django.urls import reverse

        from hiring import privacy
        from hiring.admin import LoopAdmin

        # Registers the outbox handlers. Notices render at send time, after the dispatch
        # transaction that also stored the summary, so they can quote its recommendation.
        from . import handlers, summaries  # noqa: F401
        from .privacy import HOLDER

        # What scorecards hold about candidates, for their export, erasure and retention.
        privacy.register_holder(HOLDER)
        # The recruiter's loop page: "View on site" opens the calibrated summary.
        LoopAdmin.summary_url = staticmethod(
            lambda loop: reverse("scorecards:manager_loop", args=[loop.pk])
        )
