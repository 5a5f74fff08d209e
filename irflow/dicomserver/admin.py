"""Remote AEs (the modalities irflow talks to) in the admin: saved through the service, so
every change is permission-checked and kept in the history."""

from __future__ import annotations

from django.contrib import admin

from irflow.accounts.permissions import can
from irflow.dicomserver import services
from irflow.dicomserver.models import RemoteAE


@admin.register(RemoteAE)
class RemoteAEAdmin(admin.ModelAdmin):
    list_display = ["ae_title", "room", "host", "charset", "active", "updated_at"]
    list_filter = ["active", "charset"]
    search_fields = ["ae_title", "host", "description"]
    fields = [
        "ae_title",
        "room",
        "host",
        "charset",
        "active",
        "may_query_worklist",
        "may_report_steps",
        "may_send_dose_reports",
        "description",
    ]

    def _allowed(self, request) -> bool:
        return can(request.user, "dicom.configure")

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        saved = services.remote_ae_save(
            actor=request.user,
            remote_id=obj.pk,
            ae_title=data["ae_title"],
            host=data["host"],
            room=data["room"],
            charset=data["charset"],
            active=data["active"],
            description=data["description"],
            may_query_worklist=data["may_query_worklist"],
            may_report_steps=data["may_report_steps"],
            may_send_dose_reports=data["may_send_dose_reports"],
        )
        obj.pk = saved.pk  # the admin's message and log name the object its form built

    def delete_model(self, request, obj) -> None:
        services.remote_ae_delete(actor=request.user, remote_id=obj.pk)
