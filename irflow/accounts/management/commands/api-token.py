"""`irflow api-token create|list|revoke`: tokens for integrations (shown once, stored hashed)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import ApiToken, User
from irflow.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for a user.")
        create.add_argument("--user", required=True, help="Username the token acts as.")
        create.add_argument("--name", required=True, help="What the token is for.")
        sub.add_parser("list", help="List tokens.")
        revoke = sub.add_parser("revoke", help="Revoke a token by its id.")
        revoke.add_argument("key_id")

    def handle(self, *args, action: str, **options) -> None:
        if action == "create":
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}.")
            _, plain = api_token_create(actor=SYSTEM, user_id=user.pk, name=options["name"])
            self.stdout.write(
                f"Token for {user.username} ({user.role_label}), shown once:\n{plain}"
            )
        elif action == "list":
            for t in ApiToken.objects.select_related("user").order_by("created_at"):
                state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
                used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
                self.stdout.write(
                    f"{t.key_id}  {t.user.username:<15} {t.name:<30} {state}, used {used}"
                )
        else:
            updated = ApiToken.objects.filter(
                key_id=options["key_id"], revoked_at__isnull=True
            ).update(revoked_at=timezone.now())
            if not updated:
                raise CommandError(f"No active token with id {options['key_id']!r}.")
            self.stdout.write("Revoked.")
