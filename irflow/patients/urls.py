from django.urls import path

from irflow.patients import views

prefix = "patients/"

urlpatterns = [
    path("", views.patient_search, name="patient-search"),
    path("new/", views.patient_create, name="patient-create"),
    path("quick/", views.patient_quick_search, name="patient-quick-search"),
    path("<int:patient_id>/", views.patient_chart, name="patient-chart"),
    path("<int:patient_id>/edit/", views.patient_edit, name="patient-edit"),
    path("<int:patient_id>/merge/", views.patient_merge, name="patient-merge"),
    path("<int:patient_id>/<str:kind>/add/", views.chart_add, name="patient-chart-add"),
    path(
        "<int:patient_id>/<str:kind>/<int:entry_id>/reconcile/",
        views.chart_reconcile,
        name="patient-chart-reconcile",
    ),
]
