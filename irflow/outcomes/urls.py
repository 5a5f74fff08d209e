from django.urls import path

from irflow.outcomes import views

prefix = "outcomes/"

urlpatterns = [
    path(
        "procedures/<int:procedure_id>/adverse-events/",
        views.adverse_event_add,
        name="adverse-event-add",
    ),
    path("followup/<int:task_id>/", views.followup_outcome, name="followup-outcome"),
]
