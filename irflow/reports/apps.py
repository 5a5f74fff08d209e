from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "irflow.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.audit.appendonly import also_ensure
        from irflow.reports.models import Addendum, Report
        from irflow.reports.selectors import report_worklist_count
        from irflow.web.navigation import NavItem, register

        also_ensure("reports", "0004_signed_reports_never_deleted")
        auditlog.register(Report)
        auditlog.register(Addendum)
        register(
            NavItem("Reports", "report-worklists", "report.draft", count=report_worklist_count),
            before="Patients",
        )
