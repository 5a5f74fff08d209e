from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "irflow.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.scheduling.models import Booking, BookingTeamMember
        from irflow.web.navigation import NavItem, register

        auditlog.register(Booking)
        auditlog.register(BookingTeamMember)
        register(NavItem("Schedule", "schedule", "schedule.view"), before="Patients")
