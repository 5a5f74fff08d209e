from django.apps import AppConfig


class DayOfCaseConfig(AppConfig):
    name = "irflow.dayofcase"
    label = "dayofcase"
    verbose_name = "Day of the case"

    def ready(self) -> None:
        from irflow.web.navigation import NavItem, register

        register(NavItem("Today", "department-board", "schedule.view"), before="Referrals")

        from irflow.dayofcase import versions

        versions.connect()
