from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "irflow.orders"
    label = "orders"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.orders.models import Order

        auditlog.register(Order)
