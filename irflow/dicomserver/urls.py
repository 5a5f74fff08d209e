from django.urls import path

from irflow.dicomserver import views

prefix = "dicom/"

urlpatterns = [
    path("steps/", views.step_list, name="mpps-reconcile"),
    path("steps/<int:step_id>/", views.step_reconcile, name="mpps-step"),
]
