from django.urls import path

from irflow.outcomes import views

prefix = "outcomes/"

urlpatterns = [
    path("followup/<int:task_id>/", views.followup_outcome, name="followup-outcome"),
    path("adverse-events/suggest/", views.adverse_event_suggest, name="adverse-event-suggest"),
]
