from django.contrib import admin
from django.urls import include, path

from irflow.api import api
from irflow.web import views

admin.site.site_header = "irflow administration"
admin.site.site_title = "irflow admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health, name="health"),
    path("accounts/", include("irflow.accounts.urls")),
    path("patients/", include("irflow.patients.urls")),
    path("audit/", include("irflow.audit.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
