from django.urls import path

from irflow.registry import views

prefix = "registry/"

urlpatterns = [
    path("", views.registry_export_page, name="registry-export"),
    path("export.zip", views.registry_download, name="registry-download"),
    path("excluded.csv", views.registry_excluded_csv, name="registry-excluded"),
    path("mm/", views.mm_review, name="mm-review"),
    path("mm/agenda.pdf", views.mm_agenda_pdf, name="mm-agenda-pdf"),
]
