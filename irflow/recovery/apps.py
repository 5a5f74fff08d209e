from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "irflow.recovery"
    label = "recovery"
    verbose_name = "Recovery and discharge"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.recovery.models import PainScore, RecoveryEpisode, VitalSigns

        auditlog.register(RecoveryEpisode)
        auditlog.register(PainScore)
        auditlog.register(VitalSigns)
