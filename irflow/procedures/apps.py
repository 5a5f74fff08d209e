from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "irflow.procedures"
    label = "procedures"
    verbose_name = "Procedures"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.procedures import models as m

        for model in (
            m.ProcedureRecord,
            m.ProcedureTeamMember,
            m.SedationAgent,
            m.DeviceUsed,
            m.Specimen,
            m.PerformedProcedureStep,
        ):
            auditlog.register(model)
