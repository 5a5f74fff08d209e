from django.apps import AppConfig


class FhirServerConfig(AppConfig):
    name = "irflow.fhirserver"
    label = "fhirserver"
    verbose_name = "FHIR"
