from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "irflow.readiness"
    label = "readiness"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.readiness import models as m

        auditlog.register(m.PolicySettings, exclude_fields=["logo"])
        for model in (m.Preparation, m.LastDose, m.Acknowledgement):
            auditlog.register(model)

        from irflow.patients.signals import site_policy_wanted
        from irflow.readiness.policy import site_policy_answer

        site_policy_wanted.connect(site_policy_answer, dispatch_uid="readiness-site-policy")

        from irflow.web.navigation import NavItem, register

        register(NavItem("Rules", "readiness-rules", "ruleset.view"))
