"""``python manage.py api_token create USER --name NAME [--scope read|write] [--days N]``
prints a new token once (the only copy there is); ``list USER`` shows a person's tokens
without their secrets; ``revoke USER PREFIX`` revokes one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hiring.errors import Invalid, messages_of
from hiring.models import User
from signin.models import ApiToken
from signin.tokens import token_create, token_revoke, tokens_of


def user_named(username: str) -> User:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise CommandError(f"No user named {username!r}.") from None


class Command(BaseCommand):
    help = "Create (printed once), list or revoke a person's API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="What will use it.")
        create.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ)
        create.add_argument("--days", type=int, default=None, help="Defaults to API_TOKEN_DAYS.")
        listing = sub.add_parser("list", help="A person's tokens, without their secrets.")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a person's token by its prefix.")
        revoke.add_argument("username")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_named(options["username"])
        if options["action"] == "create":
            try:
                new = token_create(
                    owner=user, name=options["name"], scope=options["scope"], days=options["days"]
                )
            except Invalid as error:
                raise CommandError("; ".join(messages_of(error))) from None
            self.stdout.write(new.secret)
            self.stderr.write(
                f"Token {new.token.name!r} for {user.username}: {new.token.get_scope_display()}, "
                f"expires {new.token.expires_at:%Y-%m-%d}. It is shown this once."
            )
        elif options["action"] == "list":
            for token in tokens_of(user):
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(
                    f"{token.prefix}  {token.state():8} {token.scope:5}  expires "
                    f"{token.expires_at:%Y-%m-%d}  last used {used}  {token.name}"
                )
        else:
            found = tokens_of(user).filter(prefix=options["prefix"])
            if not found:
                raise CommandError(f"{user.username} has no token starting {options['prefix']}.")
            for token in found:
                token_revoke(token=token)
                self.stdout.write(f"Revoked {token}.")
