from django.apps import AppConfig


class DicomServerConfig(AppConfig):
    name = "irflow.dicomserver"
    label = "dicomserver"
