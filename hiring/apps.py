from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class HiringConfig(AppConfig):
    name = "hiring"
    verbose_name = "Hiring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The e-mails and webhook bodies register their renderers and describers on import:
        # invites, updates, cancellations and nudges; booking links; webhook failure alerts and
        # events.
        from hiring import (
            outcomes,  # noqa: F401  (the outcome reminder's renderer)
            signals,
        )
        from hiring.delivery import webhooks  # noqa: F401
        from hiring.roles import ensure_recruiters_group
        from hiring.scheduling import (  # noqa: F401
            booking_emails,
            debrief_emails,
            invites,
            writeback,
        )

        # A scheduled debrief follows its loop's panel, whatever changed it.
        signals.connect()
        # Both apps' permissions exist only once each has migrated: run after either.
        post_migrate.connect(ensure_recruiters_group, sender=self)
        post_migrate.connect(ensure_recruiters_group, sender=apps.get_app_config("scorecards"))
