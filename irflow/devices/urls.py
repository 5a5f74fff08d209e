from django.urls import path

from irflow.devices import views

prefix = "devices/"

urlpatterns = [
    path("", views.devices_in_situ, name="devices-in-situ"),
    path("recall/", views.device_recall, name="device-recall"),
    path("patients/<int:patient_id>/chart/", views.chart_devices, name="devices-chart"),
    path("<int:device_id>/remove/", views.device_remove, name="device-remove"),
]
