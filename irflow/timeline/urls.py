from django.urls import path

from irflow.timeline import views

prefix = "timeline/"

urlpatterns = [
    path("patients/<int:patient_id>/", views.patient_timeline, name="patient-timeline"),
    path("patients/<int:patient_id>/card/", views.timeline_card, name="patient-timeline-card"),
]
