from django.apps import AppConfig


class Hl7ServerConfig(AppConfig):
    name = "irflow.hl7server"
    label = "hl7server"
    verbose_name = "HL7"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.hl7server.models import InboundMessage

        # Receiving writes no history (the row is the log); re-processing by an administrator
        # does: status and error before and after.
        auditlog.register(InboundMessage, exclude_fields=["raw", "ack"])
