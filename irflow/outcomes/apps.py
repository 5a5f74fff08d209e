from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "irflow.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.outcomes.models import AdverseEvent, FollowUpOutcome

        auditlog.register(AdverseEvent)
        auditlog.register(FollowUpOutcome)
