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
        from irflow.web.navigation import NavItem, register

        register(NavItem("Logbook", "training", "logbook.view", count=_queue_count))


def _queue_count(user) -> int:
    from irflow.accounts.permissions import can
    from irflow.training.selectors import verification_queue

    return (
        verification_queue(actor=user).filter(status="pending").count()
        if can(user, "logbook.verify")
        else 0
    )
