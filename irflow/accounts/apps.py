from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "irflow.accounts"
    label = "accounts"

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.contrib.auth.signals import user_logged_in

        from irflow.accounts import models as m
        from irflow.accounts.middleware import activity_at_sign_in

        user_logged_in.connect(activity_at_sign_in, dispatch_uid="irflow-activity-at-sign-in")

        auditlog.register(m.User, exclude_fields=["password", "last_login"])
        auditlog.register(m.StaffProfile)
        auditlog.register(m.Privilege)
        auditlog.register(m.Certification)
        auditlog.register(m.ApiToken, exclude_fields=["secret_sha256", "last_used_at"])
