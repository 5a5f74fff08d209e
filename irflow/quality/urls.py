from django.urls import path

from irflow.quality import views

prefix = "quality/"

urlpatterns = [
    path("", views.dashboard, name="quality-dashboard"),
    path("cases/", views.cases, name="quality-cases"),
    path("cases/<int:record_id>/", views.case, name="quality-case"),
    path("timeliness/", views.timeliness, name="quality-timeliness"),
    path("timeliness/cases/", views.timeliness_cases, name="quality-timeliness-cases"),
    path(
        "timeliness/<str:chart>.<str:fmt>",
        views.timeliness_export,
        name="quality-timeliness-export",
    ),
    path("safety/", views.safety, name="quality-safety"),
    path("safety/devices/", views.safety_devices, name="quality-safety-devices"),
    path("safety/tasks/", views.safety_tasks, name="quality-safety-tasks"),
    path("safety/<str:chart>.<str:fmt>", views.safety_export, name="quality-safety-export"),
    path("<str:chart>.<str:fmt>", views.export, name="quality-export"),
]
