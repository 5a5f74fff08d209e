"""`irflow api-token create|list|revoke`: tokens for integrations (shown once, stored hashed),
through the same services as the administrator's page, so each change is in the history."""

from __future__ import annotations

from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import TokenScope, User
from irflow.accounts.selectors import api_token_list
from irflow.accounts.services import api_token_create, api_token_revoke, token_lookup
from irflow.lib.errors import ServiceError


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for a user.")
        create.add_argument("--user", required=True, help="Username the token acts as.")
        create.add_argument("--name", required=True, help="What the token is for.")
        create.add_argument(
            "--scope",
            choices=TokenScope.values,
            default=TokenScope.FULL,
            help="read: only GET requests; full (default): whatever the user's role allows.",
        )
        create.add_argument(
            "--expires",
            type=date.fromisoformat,
            help="Last day the token works (YYYY-MM-DD); default: until revoked.",
        )
        sub.add_parser("list", help="List tokens.")
        revoke = sub.add_parser("revoke", help="Revoke a token by its id.")
        revoke.add_argument("key_id")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, *, user: str, name: str, scope: str, expires: date | None, **options) -> None:
        owner = User.objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"No user named {user!r}.")
        expires_at = timezone.make_aware(datetime.combine(expires, time.max)) if expires else None
        _, plain = api_token_create(
            actor=SYSTEM, user_id=owner.pk, name=name, scope=scope, expires_at=expires_at
        )
        self.stdout.write(f"Token for {owner.username} ({owner.role_label}), shown once:\n{plain}")

    def _list(self, **options) -> None:
        for row in reversed(api_token_list(actor=SYSTEM)):
            t = row.token
            state = row.state
            if t.revoked_at:
                state = f"revoked {t.revoked_at:%Y-%m-%d}"
            elif t.expires_at:
                state += f" until {t.expires_at:%Y-%m-%d}"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            self.stdout.write(
                f"{t.key_id}  {t.user.username:<15} {t.name:<30} {t.scope:<4} {state}, used {used}"
            )

    def _revoke(self, *, key_id: str, **options) -> None:
        try:
            token = token_lookup(key_id=key_id)
            if token.revoked_at is not None:
                raise CommandError(f"No active token with id {key_id!r}.")
        except ServiceError as exc:
            raise CommandError(f"No active token with id {key_id!r}.") from exc
        api_token_revoke(actor=SYSTEM, token_id=token.pk)
        self.stdout.write("Revoked.")
