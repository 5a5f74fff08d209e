"""Devices in situ in the admin: read-only (removal is recorded through the service)."""

from django.contrib import admin

from irflow.devices.models import DeviceInSitu
from irflow.web.admin import ReadOnlyAdmin


@admin.register(DeviceInSitu)
class DeviceInSituAdmin(ReadOnlyAdmin):
    list_display = ["pk", "patient", "name", "placed_on", "due_on", "status", "removed_on"]
    list_filter = ["status", "kind"]
