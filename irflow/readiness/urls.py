from django.urls import path

from irflow.readiness import views

prefix = "readiness/"

urlpatterns = [
    path("bookings/<int:booking_id>/", views.booking_readiness, name="readiness-booking"),
    path("bookings/<int:booking_id>/badge/", views.badge, name="readiness-badge"),
    path(
        "bookings/<int:booking_id>/preparation/",
        views.preparation,
        name="readiness-preparation",
    ),
    path("bookings/<int:booking_id>/lab/", views.lab_record, name="readiness-lab"),
    path(
        "bookings/<int:booking_id>/last-dose/", views.last_dose_record, name="readiness-last-dose"
    ),
    path("bookings/<int:booking_id>/acknowledge/", views.acknowledge, name="readiness-acknowledge"),
    path(
        "bookings/<int:booking_id>/bleeding-risk/",
        views.bleeding_risk,
        name="readiness-bleeding-risk",
    ),
    path("bookings/<int:booking_id>/letter.pdf", views.letter, name="readiness-letter"),
    path("rules/", views.rules, name="readiness-rules"),
    path("policy/", views.policy, name="readiness-policy"),
]
