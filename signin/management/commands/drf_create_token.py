"""DRF's ``drf_create_token USER`` for scripts written against it, now creating a hashed,
expiring read-and-write token (``api_token create`` chooses the name, scope and expiry).
It prints what DRF's printed, ``Generated token <token> for user <username>``, so a script
reading the third word keeps working; ``-r`` revokes the user's earlier ones first."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from signin.management.commands.api_token import user_named
from signin.models import ApiToken
from signin.tokens import token_create, tokens_revoke_all


class Command(BaseCommand):
    help = "Create an API token for a user (read and write, API_TOKEN_DAYS) and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "-r", "--reset", action="store_true", help="Revoke the user's other tokens first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_named(options["username"])
        if options["reset"]:
            tokens_revoke_all(owner=user)
        new = token_create(owner=user, name="drf_create_token", scope=ApiToken.Scope.WRITE)
        self.stdout.write(f"Generated token {new.secret} for user {user.username}")
