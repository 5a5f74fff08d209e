from django.urls import path, re_path

from irflow.fhirserver import views

prefix = "fhir/"

TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,63})"
ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"

urlpatterns = [
    path("metadata", views.metadata, name="fhir-metadata"),
    re_path(rf"^{TYPE}/?$", views.search, name="fhir-search"),
    re_path(rf"^{TYPE}/{ID}/?$", views.read, name="fhir-read"),
    re_path(r"^(?P<rest>.*)$", views.no_route, name="fhir-no-route"),
]
