"""Checklist records in the admin: read-only, like everywhere else."""

from django.contrib import admin

from irflow.checklists.models import ChecklistRecord


@admin.register(ChecklistRecord)
class ChecklistRecordAdmin(admin.ModelAdmin):
    list_display = ["booking", "phase", "readiness_state", "completed_by", "completed_at"]
    list_filter = ["phase"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
