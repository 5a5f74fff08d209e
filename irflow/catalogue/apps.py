from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "irflow.catalogue"
    label = "catalogue"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.catalogue import models as m

        auditlog.register(m.ProcedureType)
        auditlog.register(m.Room)
        auditlog.register(m.RoomClosure)
