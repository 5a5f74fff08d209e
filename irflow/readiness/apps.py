from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "irflow.readiness"
    label = "readiness"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.readiness import models as m
        from irflow.readiness import signals

        for model in (m.PolicySettings, m.Preparation, m.LastDose, m.Acknowledgement):
            auditlog.register(model)
        # Sign-in snapshots are immutable records; current snapshots are derived data.
        signals.connect()

        from irflow.web.navigation import NavItem, register

        register(NavItem("Rules", "readiness-rules", "ruleset.view"))
