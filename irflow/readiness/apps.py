from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "irflow.readiness"
    label = "readiness"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.readiness import models as m

        for model in (m.PolicySettings, m.Preparation, m.LastDose, m.Acknowledgement):
            auditlog.register(model)

        from irflow.web.navigation import NavItem, register

        register(NavItem("Rules", "readiness-rules", "ruleset.view"))
