from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "irflow.referrals"
    label = "referrals"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.orders.signals import order_status_changed
        from irflow.referrals import receivers
        from irflow.referrals.models import Referral, ReferralAttachment, UrgencyTarget
        from irflow.scheduling.signals import booking_rescheduled
        from irflow.web.navigation import NavItem, register

        auditlog.register(Referral)
        auditlog.register(ReferralAttachment)
        auditlog.register(UrgencyTarget)
        order_status_changed.connect(receivers.order_changed, dispatch_uid="referral-order")
        booking_rescheduled.connect(receivers.booking_moved, dispatch_uid="referral-booking")
        register(NavItem("Referrals", "referral-list", "referral.view"), before="Patients")
        register(NavItem("Triage", "referral-triage", "referral.triage"), before="Patients")
