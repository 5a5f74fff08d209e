"""URLs: each irflow app with a `urls.py` declares its own `prefix` and is mounted here."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from irflow.api import api
from irflow.web import views

admin.site.site_header = "irflow administration"
admin.site.site_title = "irflow admin"

urlpatterns = [
    path("health", views.health, name="health"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

for config in apps.get_app_configs():
    if config.name.startswith("irflow.") and find_spec(f"{config.name}.urls"):
        module = import_module(f"{config.name}.urls")
        urlpatterns.append(path(module.prefix, include(module)))
