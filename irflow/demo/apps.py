from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "irflow.demo"
    label = "demo"
