from django.urls import path

from irflow.followup import views

prefix = "followup/"

urlpatterns = [
    path("", views.followup_due, name="followup-due"),
    path("patients/<int:patient_id>/chart/", views.chart_tasks, name="followup-chart"),
    path("<int:task_id>/acknowledge/", views.followup_acknowledge, name="followup-acknowledge"),
    path("<int:task_id>/complete/", views.followup_complete, name="followup-complete"),
]
