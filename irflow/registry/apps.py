from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "irflow.registry"
    label = "registry"
    verbose_name = "Registry export and M&M review"

    def ready(self) -> None:
        from irflow.web.navigation import NavItem, register

        register(NavItem("Registry", "registry-export", "registry.export"))
        register(NavItem("M&M", "mm-review", "mm.view"))
