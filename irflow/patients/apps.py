from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "irflow.patients"
    label = "patients"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.patients import models as m

        for model in (
            m.Patient,
            m.PatientIdentifier,
            m.Allergy,
            m.Medication,
            m.LabResult,
            m.Condition,
            m.CareRelation,
            m.PatientMerge,
        ):
            auditlog.register(model)
