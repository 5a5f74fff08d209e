"""Static files that come from installed packages rather than from the repository."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

PLOTLY_STATIC_PATH = "plotly/plotly.min.js"


def _plotly_dir() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    """Serves exactly one file, ``plotly/plotly.min.js``, from the installed plotly package.

    A STATICFILES_DIRS entry would expose the package's whole data folder; this exposes the
    bundle the charts need and nothing else.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(_plotly_dir()))
        self.storage.prefix = "plotly"  # type: ignore[attr-defined]

    def check(self, **kwargs) -> list[CheckMessage]:
        if not (_plotly_dir() / "plotly.min.js").is_file():
            return [Error("plotly.min.js not found in the installed plotly package.")]
        return []

    # Like Django's own finders: an empty list, not None, when the file is not here.
    def find(self, path: str, find_all: bool = False):
        if path != PLOTLY_STATIC_PATH:
            return []
        found = str(_plotly_dir() / "plotly.min.js")
        return [found] if find_all else found

    def list(self, ignore_patterns):
        yield "plotly.min.js", self.storage
