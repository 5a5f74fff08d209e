from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "irflow.administration"
    label = "administration"

    def ready(self) -> None:
        from irflow.web.navigation import NavItem, register

        register(NavItem("Administration", "admin-hub", "room.manage"))
