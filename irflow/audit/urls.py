from django.urls import path

from irflow.audit import views

prefix = "audit/"

urlpatterns = [path("", views.audit_page, name="audit")]
