from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "irflow.audit"
    label = "audit"
