from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = "Sign-in protection"

    def ready(self) -> None:
        # Sign-in, sign-out and privilege changes keep the record of whose session is whose.
        from signin import sessions  # noqa: F401
