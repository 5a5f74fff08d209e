from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    name = "irflow.runtime"
    label = "runtime"
