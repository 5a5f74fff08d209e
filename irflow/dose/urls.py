from django.urls import path

from irflow.dose import views

prefix = "dose/"

urlpatterns = [
    path("", views.dose_reports, name="dose-reports"),
    path("reports/<int:report_id>/", views.dose_report, name="dose-report"),
    path("reports/<int:report_id>/link/", views.dose_report_link, name="dose-report-link"),
    path("orders/<int:order_id>/", views.dose_order, name="dose-order"),
    path(
        "alerts/<int:alert_id>/acknowledge/",
        views.dose_alert_acknowledge,
        name="dose-alert-acknowledge",
    ),
    path("reconcile/", views.dose_reconcile, name="dose-reconcile"),
    path("quarantine/", views.dose_quarantine, name="dose-quarantine"),
    path("quarantine/<int:received_id>/reprocess/", views.dose_reprocess, name="dose-reprocess"),
    path("patients/<int:patient_id>/chart/", views.chart_dose, name="dose-chart"),
    path("dashboard/", views.dose_dashboard, name="dose-dashboard"),
    path("export.<str:fmt>", views.dose_export, name="dose-export"),
]
