from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "irflow.timeline"
    label = "timeline"
    verbose_name = "Patient timeline"
