from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = "Sign-in protection"

    def ready(self) -> None:
        # Sign-in, sign-out and privilege changes keep the record of whose session is whose;
        # a password sign-in that owes a second factor is marked (signin.two_factor).
        from signin import sessions, two_factor  # noqa: F401
