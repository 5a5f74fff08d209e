"""The day of the case keeps the addresses its pages always had (under scheduling/,
procedures/, recovery/, outcomes/), so links and bookmarks hold."""

from django.urls import path

from irflow.dayofcase import scan, views

prefix = ""

urlpatterns = [
    path("", views.home, name="home"),
    path("scheduling/today/", views.department_board, name="department-board"),
    path("scheduling/bookings/<int:booking_id>/status/", views.booking_move, name="booking-status"),
    path("procedures/bookings/<int:booking_id>/", views.procedure_page, name="procedure-page"),
    path(
        "procedures/bookings/<int:booking_id>/check-in/",
        views.check_in,
        name="procedure-check-in",
    ),
    path(
        "procedures/bookings/<int:booking_id>/override/<str:rule>/",
        views.override,
        name="case-override",
    ),
    path(
        "procedures/bookings/<int:booking_id>/flags/<int:flag_id>/review/",
        views.flag_review,
        name="safety-flag-review",
    ),
    path("procedures/<int:procedure_id>/", views.procedure_by_id, name="procedure-detail"),
    path(
        "procedures/patients/<int:patient_id>/chart/",
        views.chart_procedures,
        name="procedure-chart",
    ),
    path(
        "procedures/<int:procedure_id>/save/<str:group>/", views.group_save, name="procedure-save"
    ),
    path(
        "procedures/<int:procedure_id>/device-check/",
        scan.device_check_view,
        name="procedure-device-check",
    ),
    path("procedures/<int:procedure_id>/add/<str:kind>/", views.part_add, name="procedure-add"),
    path(
        "procedures/<int:procedure_id>/strike/<str:kind>/<int:part_id>/",
        views.part_strike,
        name="procedure-strike",
    ),
    path("procedures/<int:procedure_id>/complete/", views.complete, name="procedure-complete"),
    path(
        "outcomes/procedures/<int:procedure_id>/adverse-events/",
        views.adverse_event_add,
        name="adverse-event-add",
    ),
    path("recovery/<int:procedure_id>/discharge/", views.discharge, name="recovery-discharge"),
]
