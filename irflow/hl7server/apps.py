from django.apps import AppConfig


class Hl7ServerConfig(AppConfig):
    name = "irflow.hl7server"
    label = "hl7server"
    verbose_name = "HL7"

    def ready(self) -> None:
        self._register_pages()
        self._connect_outbox()

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

    def _connect_outbox(self) -> None:
        """The outbox hears of signed reports, bookings and order status changes."""
        from auditlog.registry import auditlog

        from irflow.hl7server import outbox
        from irflow.hl7server.models import OutboundMessage
        from irflow.orders.signals import order_status_changed
        from irflow.reports.outbound import register_outbound
        from irflow.scheduling import signals as scheduling

        register_outbound("hl7-oru", outbox.report_signed_hook)
        order_status_changed.connect(outbox.order_status_changed, dispatch_uid="hl7-orders")
        scheduling.booking_created.connect(outbox.booking_created, dispatch_uid="hl7-siu-new")
        scheduling.booking_rescheduled.connect(
            outbox.booking_rescheduled, dispatch_uid="hl7-siu-moved"
        )
        scheduling.booking_cancelled.connect(
            outbox.booking_cancelled, dispatch_uid="hl7-siu-cancelled"
        )
        # Administrators' resend and cancel are history; the text is the row itself.
        auditlog.register(OutboundMessage, exclude_fields=["text", "ack"])
