from django.apps import AppConfig


class DoseConfig(AppConfig):
    name = "irflow.dose"
    label = "dose"
