from django.urls import path

from irflow.reports import views

prefix = "reports/"

urlpatterns = [
    path("", views.report_worklists, name="report-worklists"),
    path("procedures/<int:procedure_id>/start/", views.report_start, name="report-start"),
    path("<int:report_id>/", views.report_detail, name="report-detail"),
    path("<int:report_id>/save/", views.report_save, name="report-save"),
    path("<int:report_id>/pdf/", views.report_pdf, name="report-pdf"),
    path("<int:report_id>/addenda/", views.addendum_add, name="report-addendum-add"),
    path("<int:report_id>/return/", views.report_return, name="report-return"),
    path("addenda/<int:addendum_id>/sign/", views.addendum_sign, name="report-addendum-sign"),
    path("<int:report_id>/<str:action>/", views.report_action, name="report-action"),
]
