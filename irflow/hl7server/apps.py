from django.apps import AppConfig


class Hl7ServerConfig(AppConfig):
    name = "irflow.hl7server"
    label = "hl7server"
    verbose_name = "HL7"

    def ready(self) -> None:
        self._register_pages()

    @staticmethod
    def _register_pages() -> None:
        """The interface page in the navigation (with the messages that need someone), and
        the history of the destinations, code mappings and received messages."""
        from auditlog.registry import auditlog

        from irflow.hl7server.models import CodeMapping, Destination, InboundMessage
        from irflow.hl7server.selectors import stuck_count
        from irflow.web.navigation import NavItem, register

        auditlog.register(Destination, exclude_fields=["lease_owner", "lease_until"])
        auditlog.register(CodeMapping)
        # Receiving writes no history (the row is the log); re-processing by an administrator
        # does: status and error before and after.
        auditlog.register(InboundMessage, exclude_fields=["raw", "ack"])
        register(NavItem("HL7", "hl7-messages", "hl7.view", count=stuck_count), before="Audit")
