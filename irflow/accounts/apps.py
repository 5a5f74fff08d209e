from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "irflow.accounts"
    label = "accounts"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.accounts import models as m

        auditlog.register(m.User, exclude_fields=["password", "last_login"])
        auditlog.register(m.StaffProfile)
        auditlog.register(m.Privilege)
        auditlog.register(m.ApiToken, exclude_fields=["secret_sha256", "last_used_at"])
