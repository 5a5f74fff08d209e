from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    name = "irflow.checklists"
    label = "checklists"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.checklists.models import ChecklistRecord, SafetyFlag, SafetyOverride

        for model in (ChecklistRecord, SafetyOverride, SafetyFlag):
            auditlog.register(model)
