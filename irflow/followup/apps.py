from django.apps import AppConfig


class FollowUpConfig(AppConfig):
    name = "irflow.followup"
    label = "followup"
    verbose_name = "Follow-up"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.followup.models import FollowUpTask
        from irflow.web.navigation import NavItem, register

        auditlog.register(FollowUpTask)
        register(NavItem("Follow-up", "followup-due", "followup.view"))
