from django.contrib import admin

from irflow.catalogue.models import ProcedureType, Room


@admin.register(ProcedureType)
class ProcedureTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "bleeding_risk", "default_duration_min", "active"]
    list_filter = ["category", "bleeding_risk", "active"]
    search_fields = ["code", "name"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "modality",
        "modalities",
        "capabilities",
        "station_ae_title",
        "opens_at",
        "closes_at",
        "active",
    ]
    list_filter = ["kind", "active"]
