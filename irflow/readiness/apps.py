from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "irflow.readiness"
    label = "readiness"
