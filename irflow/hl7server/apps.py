from django.apps import AppConfig


class Hl7ServerConfig(AppConfig):
    name = "irflow.hl7server"
    label = "hl7server"
    verbose_name = "HL7"
