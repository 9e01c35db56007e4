from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class HiringConfig(AppConfig):
    name = "hiring"
    verbose_name = "Hiring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import invites  # noqa: F401  (registers the invite and nudge renderers)
        from .roles import ensure_recruiters_group

        # Both apps' permissions exist only once each has migrated: run after either.
        post_migrate.connect(ensure_recruiters_group, sender=self)
        post_migrate.connect(ensure_recruiters_group, sender=apps.get_app_config("scorecards"))
