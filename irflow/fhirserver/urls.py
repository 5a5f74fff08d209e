from django.urls import path, re_path

from irflow.fhirserver import views

prefix = "fhir/"

TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,63})"
ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"

urlpatterns = [
    path("metadata", views.metadata, name="fhir-metadata"),
    path("$export", views.export_system, name="fhir-export"),
    path("Patient/$export", views.export_patient, name="fhir-export-patient"),
    re_path(
        r"^\$export-status/(?P<export_id>[0-9a-f\-]{36})$",
        views.export_status,
        name="fhir-export-status",
    ),
    re_path(
        r"^\$export-file/(?P<export_id>[0-9a-f\-]{36})/(?P<name>[A-Z][A-Za-z]{1,63}\.ndjson)$",
        views.export_file,
        name="fhir-export-file",
    ),
    re_path(rf"^{TYPE}/?$", views.search, name="fhir-search"),
    re_path(rf"^{TYPE}/{ID}/?$", views.read, name="fhir-read"),
    re_path(r"^(?P<rest>.*)$", views.no_route, name="fhir-no-route"),
]
