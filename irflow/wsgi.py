import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "irflow.settings")
application = get_wsgi_application()

# Load the URLs (every view module) now, while the server starts, rather than in the first
# request; with gunicorn's --preload (as `irflow up` runs it) once for every worker.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
