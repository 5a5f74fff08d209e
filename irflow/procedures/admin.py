"""Procedure records in the admin: read-only (they are written through the procedure page)."""

from django.contrib import admin

from irflow.procedures.models import ProcedureRecord
from irflow.web.admin import ReadOnlyAdmin


@admin.register(ProcedureRecord)
class ProcedureRecordAdmin(ReadOnlyAdmin):
    list_display = ["pk", "booking", "patient", "status", "checked_in_at", "completed_at"]
    list_filter = ["status"]
