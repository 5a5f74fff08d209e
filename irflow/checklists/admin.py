"""Checklists, overrides and flags in the admin: read-only, like everywhere else."""

from django.contrib import admin

from irflow.checklists.models import ChecklistRecord, SafetyFlag, SafetyOverride
from irflow.web.admin import ReadOnlyAdmin


@admin.register(ChecklistRecord)
class ChecklistRecordAdmin(ReadOnlyAdmin):
    list_display = ["booking", "phase", "readiness_state", "completed_by", "completed_at"]
    list_filter = ["phase"]


@admin.register(SafetyOverride)
class SafetyOverrideAdmin(ReadOnlyAdmin):
    list_display = ["booking", "rule", "overridden_by", "overridden_at", "reason"]
    list_filter = ["rule"]


@admin.register(SafetyFlag)
class SafetyFlagAdmin(ReadOnlyAdmin):
    list_display = ["booking", "kind", "raised_at", "reviewed_by", "reviewed_at"]
    list_filter = ["kind"]
