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
    path("<str:chart>.<str:fmt>", views.export, name="quality-export"),
]
