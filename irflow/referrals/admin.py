"""The site's urgency targets are edited in the admin (changes are kept in the history).

Referrals themselves are handled through irflow's own pages (permission-checked and
access-logged), not the admin.
"""

from django.contrib import admin

from irflow.accounts.permissions import can
from irflow.referrals.models import UrgencyTarget


@admin.register(UrgencyTarget)
class UrgencyTargetAdmin(admin.ModelAdmin):
    list_display = ["urgency", "triage_within_hours", "procedure_within_hours", "updated_at"]
    fields = ["urgency", "triage_within_hours", "procedure_within_hours"]
    readonly_fields = ["urgency"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.base_fields[
            "triage_within_hours"
        ].help_text += " Site defaults: emergent 1 h, urgent 24 h, routine 72 h."
        form.base_fields[
            "procedure_within_hours"
        ].help_text += " Site defaults: emergent 4 h, urgent 72 h, routine 21 days (504 h)."
        return form

    @staticmethod
    def _may(request) -> bool:
        return request.user.is_superuser or can(request.user, "referral.targets")

    def has_module_permission(self, request) -> bool:
        return self._may(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._may(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may(request)

    def has_add_permission(self, request) -> bool:
        return False  # one row per urgency, seeded

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
