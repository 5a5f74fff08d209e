"""Site policy in the admin: edited through the same service as the policy page (validated by
the core, audited). Snapshots and acknowledgements are read-only records."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from irflow.accounts.permissions import can
from irflow.lib.errors import ValidationFailed
from irflow.readiness import services
from irflow.readiness.models import Acknowledgement, PolicySettings
from irflow.web.admin import ReadOnlyAdmin


class PolicySettingsForm(forms.ModelForm):
    class Meta:
        model = PolicySettings
        fields = ["overrides", "arrival_lead_min", *services.LETTERHEAD_FIELDS]

    def clean_overrides(self):
        overrides = self.cleaned_data["overrides"] or {}
        try:
            services._validated(overrides)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from exc
        return overrides


@admin.register(PolicySettings)
class PolicySettingsAdmin(admin.ModelAdmin):
    form = PolicySettingsForm
    list_display = ["__str__", "updated_at", "updated_by"]

    def has_module_permission(self, request) -> bool:
        return can(request.user, "policy.manage")

    def has_view_permission(self, request, obj=None) -> bool:
        return can(request.user, "policy.manage")

    def has_change_permission(self, request, obj=None) -> bool:
        return can(request.user, "policy.manage")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        services.policy_update(
            actor=request.user,
            overrides=form.cleaned_data["overrides"],
            arrival_lead_min=form.cleaned_data["arrival_lead_min"],
            letterhead={f: form.cleaned_data[f] for f in services.LETTERHEAD_FIELDS},
        )


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ["booking", "rule_id", "status", "acknowledged_by", "acknowledged_at"]
