"""Reports in the admin: read-only. A signed report is changed by nobody, anywhere; the
model and the database refuse too, should this ever be loosened."""

from django.contrib import admin

from irflow.reports.models import Addendum, Report
from irflow.web.admin import ReadOnlyAdmin


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["pk", "record", "status", "author", "signed_by", "signed_at"]
    list_filter = ["status"]


@admin.register(Addendum)
class AddendumAdmin(ReadOnlyAdmin):
    list_display = ["pk", "report", "author", "signed_by", "signed_at"]
