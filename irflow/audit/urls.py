from django.urls import path

from irflow.audit import views

urlpatterns = [path("", views.audit_page, name="audit")]
