from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "irflow.web"
    label = "web"
