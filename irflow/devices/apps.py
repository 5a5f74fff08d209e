from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "irflow.devices"
    label = "devices"
    verbose_name = "Devices in situ"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.devices.models import DeviceInSitu
        from irflow.web.navigation import NavItem, register

        auditlog.register(DeviceInSitu)
        register(NavItem("Devices", "devices-in-situ", "device.view"))
        register(NavItem("Recall", "device-recall", "device.recall"))
