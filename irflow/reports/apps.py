from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "irflow.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.reports.models import Addendum, Report

        auditlog.register(Report)
        auditlog.register(Addendum)
