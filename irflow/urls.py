"""URLs: each irflow app with a `urls.py` declares its own `prefix` and is mounted here."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from irflow.api import api
from irflow.runtime.health import health

admin.site.site_header = "irflow administration"
admin.site.site_title = "irflow admin"

# A database outage met before any view is a 503 too (irflow.web.outage).
handler500 = "irflow.web.outage.server_error"

urlpatterns = [
    path("health", health, name="health"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

for config in apps.get_app_configs():
    if config.name.startswith("irflow.") and find_spec(f"{config.name}.urls"):
        module = import_module(f"{config.name}.urls")
        urlpatterns.append(path(module.prefix, include(module)))
