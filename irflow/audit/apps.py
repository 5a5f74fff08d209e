from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "irflow.audit"
    label = "audit"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from irflow.audit.appendonly import ensure_sqlite_triggers, register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="irflow_sqlite_purge")
        post_migrate.connect(
            ensure_sqlite_triggers, sender=self, dispatch_uid="irflow-append-only-triggers"
        )
