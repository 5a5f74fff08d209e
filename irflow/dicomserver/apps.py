from django.apps import AppConfig


class DicomServerConfig(AppConfig):
    name = "irflow.dicomserver"
    label = "dicomserver"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.dicomserver.models import PerformedProcedureStep

        auditlog.register(PerformedProcedureStep)
