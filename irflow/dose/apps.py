from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _requeue_unread(sender, using: str = "default", **kwargs) -> None:
    """After `migrate` (which `irflow up` runs at every start): queue reading again for
    objects received but never read, e.g. when every process was killed mid-way."""
    from irflow.dose.models import ReceivedObject, ReceivedStatus

    if ReceivedObject.objects.using(using).filter(status=ReceivedStatus.RECEIVED).exists():
        from irflow.dose.tasks import received_requeue_task

        received_requeue_task.enqueue()


class DoseConfig(AppConfig):
    name = "irflow.dose"
    label = "dose"
    verbose_name = "Radiation dose"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.dose import models as m
        from irflow.web.navigation import NavItem, register

        for model in (m.ReceivedObject, m.RadiationDoseReport, m.DoseAlert):
            auditlog.register(model)
        register(NavItem("Dose", "dose-reports", "dose.view"))
        post_migrate.connect(_requeue_unread, sender=self, dispatch_uid="dose-requeue-unread")
