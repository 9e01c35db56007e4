from django.apps import AppConfig


class ScorecardsConfig(AppConfig):
    name = "scorecards"
    verbose_name = "Scorecards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the outbox handlers. Notices render at send time, after the dispatch
        # transaction that also stored the summary, so they can quote its recommendation.
        # What scorecards hold about candidates, for their export, erasure and retention.
        from hiring import privacy

        from . import handlers, summaries  # noqa: F401
        from .privacy import HOLDER

        privacy.register_holder(HOLDER)

        # The blind rule on the recruiter's loop list: no recommendation while one owes.
        from hiring.admin import LoopAdmin

        from .selectors import summary_withheld

        LoopAdmin.recommendation_withheld = staticmethod(summary_withheld)
