from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "irflow.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.demo.generator import register_step
        from irflow.scheduling import demo
        from irflow.scheduling.models import Booking, BookingTeamMember
        from irflow.web.navigation import NavItem, register

        auditlog.register(Booking)
        auditlog.register(BookingTeamMember)
        register(NavItem("Today", "department-board", "schedule.view"), before="Referrals")
        register(NavItem("Schedule", "schedule", "schedule.view"), before="Patients")
        register_step("bookings", demo.demo_bookings_create)
