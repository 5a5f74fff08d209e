from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "irflow.quality"
    label = "quality"
    verbose_name = "Quality dashboards"

    def ready(self) -> None:
        from irflow.web.navigation import NavItem, register

        register(NavItem("Quality", "quality-dashboard", "quality.view"))
