from django.contrib import admin

from irflow.training.models import Enrolment, Programme, Requirement


class RequirementInline(admin.TabularInline):
    model = Requirement
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "confidence", "active"]
    inlines = [RequirementInline]


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["trainee", "programme", "started_on"]
