"""`irflow user create|password|unlock`: users from the command line (the first administrator,
a script), through the same services and password policy as the administrator's pages."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import User
from irflow.accounts.passwords import password_generate
from irflow.accounts.roles import PERSON_ROLES
from irflow.accounts.services import user_create, user_password_reset, user_unlock
from irflow.lib.errors import ServiceError, ValidationFailed


class Command(BaseCommand):
    help = "Create a user, give one a temporary password, or unlock one."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a user with a role.")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=[code for code, _ in PERSON_ROLES])
        create.add_argument("--first-name", default="")
        create.add_argument("--last-name", default="")
        create.add_argument("--email", default="")
        for command in (create, sub.add_parser("password", help="A temporary password.")):
            if command is not create:
                command.add_argument("username")
            command.add_argument(
                "--password-stdin",
                action="store_true",
                help="Read the password from standard input (default: make one up, shown once). "
                "It must satisfy the password policy; it must be changed at the next sign-in.",
            )
        unlock = sub.add_parser("unlock", help="Lift the lockout after failed sign-ins.")
        unlock.add_argument("username")

    def handle(self, *args, action: str, username: str, **options) -> None:
        try:
            getattr(self, f"_{action}")(username=username, **options)
        except ValidationFailed as exc:
            reasons = [f"{field}: {m}" for field, msgs in exc.errors.items() for m in msgs]
            raise CommandError("\n".join(reasons)) from exc
        except ServiceError as exc:
            raise CommandError(exc.message) from exc

    def _typed(self, options: dict) -> str:
        return sys.stdin.readline().rstrip("\n") if options["password_stdin"] else ""

    def _create(self, *, username: str, role: str, **options) -> None:
        typed = self._typed(options)
        password = typed or password_generate()
        user = user_create(
            actor=SYSTEM,
            username=username,
            role=role,
            password=password,
            first_name=options["first_name"],
            last_name=options["last_name"],
            email=options["email"],
            must_change_password=True,
        )
        self.stdout.write(f"{user.username} ({user.role_label}) created.")
        if not typed:
            self.stdout.write(f"Temporary password, shown once:\n{password}")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        return user

    def _password(self, *, username: str, **options) -> None:
        user = self._user(username)
        typed = self._typed(options)
        temporary = user_password_reset(actor=SYSTEM, user_id=user.pk, password=typed)
        self.stdout.write(f"{user.username} must change this password at the next sign-in.")
        if not typed:
            self.stdout.write(f"Temporary password, shown once:\n{temporary}")

    def _unlock(self, *, username: str, **options) -> None:
        removed = user_unlock(actor=SYSTEM, user_id=self._user(username).pk)
        self.stdout.write("Unlocked." if removed else f"{username} was not locked out.")
