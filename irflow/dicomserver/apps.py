from django.apps import AppConfig


class DicomServerConfig(AppConfig):
    name = "irflow.dicomserver"
    label = "dicomserver"
    verbose_name = "DICOM"

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.db.backends.signals import connection_created

        from irflow.dicomserver import handlers
        from irflow.dicomserver.models import RemoteAE
        from irflow.dicomserver.worklist.sql import register_sqlite_functions
        from irflow.web.navigation import NavItem, register

        auditlog.register(RemoteAE)
        connection_created.connect(register_sqlite_functions, dispatch_uid="irflow_sqlite_fold")
        handlers.register_services()
        register(NavItem("Reconcile", "mpps-reconcile", "mpps.view"), before="Audit")
