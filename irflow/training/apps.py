from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "irflow.training"
    label = "training"
    verbose_name = "Training"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.training import handlers  # noqa: F401 - connects the signal
        from irflow.training.models import Enrolment, LogbookEntry, Programme, Requirement

        auditlog.register(LogbookEntry)
        auditlog.register(Programme)
        auditlog.register(Requirement)
        auditlog.register(Enrolment)
